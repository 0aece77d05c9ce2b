"""What an admin writes about the node for everyone to read: the rules, the extended description, the
privacy policy and the terms of service (Mastodon's Rule, ExtendedDescription, PrivacyPolicy and
TermsOfService)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

RULE_TEXT_LIMIT = 300  # Mastodon's limits for a rule and its hint
RULE_HINT_LIMIT = 2000
TEXT_KINDS = ("extended_description", "privacy_policy")


class Rule(Entity):
    """A server rule: its text, an optional hint, translations by language, and its place in the list"""

    text = fields.CharField(max_length=RULE_TEXT_LIMIT)
    hint = fields.TextField(default="")
    # {"fr": {"text": "...", "hint": "..."}}: Mastodon 4.4's rule translations
    translations = fields.JSONField(default=dict)
    priority = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "instance_rules"


class InstanceText(Entity):
    """One of the node's documents (extended description or privacy policy) as Markdown, and when it changed"""

    kind = fields.CharField(max_length=32, unique=True)
    text = fields.TextField(default="")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "instance_texts"


class TermsOfService(Entity):
    """A published version of the terms of service and the day it takes effect"""

    text = fields.TextField()
    changelog = fields.TextField(default="")
    effective_date = fields.DateField()
    published_at = fields.DatetimeField()

    class Meta:
        table = "terms_of_service"
