"""Content filters (Mastodon's filters v2): keywords and statuses an account does not want to see, per
context, until an optional expiry."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide", "blur")


class Filter(Entity):
    """A named filter: context lists where it applies, action what happens to what it matches"""

    account = fields.ForeignKeyField("models.Account", related_name="filters", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=256)
    context = fields.JSONField(default=list)
    action = fields.CharField(max_length=8, default="warn")
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "filters"
        indexes = (("account_id", "id"),)


class FilterKeyword(Entity):
    custom_filter = fields.ForeignKeyField("models.Filter", related_name="keywords", on_delete=fields.CASCADE)
    keyword = fields.CharField(max_length=512)
    whole_word = fields.BooleanField(default=True)

    class Meta:
        table = "filter_keywords"
        indexes = (("custom_filter_id", "id"),)


class FilterStatus(Entity):
    custom_filter = fields.ForeignKeyField("models.Filter", related_name="statuses", on_delete=fields.CASCADE)
    status_id = fields.BigIntField()

    class Meta:
        table = "filter_statuses"
        unique_together = (("custom_filter", "status_id"),)
