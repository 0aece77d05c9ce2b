"""Announcements admins show every local user (Mastodon's Announcement), who dismissed them, and the emoji
reactions people add to them."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

ANNOUNCEMENT_TEXT_LIMIT = 5000
REACTION_KINDS_LIMIT = 8  # distinct reactions on one announcement, as Mastodon


class Announcement(Entity):
    """An announcement: its text, an optional event time span, and whether it is published"""

    text = fields.TextField()
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    all_day = fields.BooleanField(default=False)
    published = fields.BooleanField(default=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "announcements"


class AnnouncementMute(Entity):
    """An account dismissed (read) an announcement"""

    announcement_id = fields.BigIntField()
    account_id = fields.BigIntField(db_index=True)

    class Meta:
        table = "announcement_mutes"
        unique_together = (("announcement_id", "account_id"),)


class AnnouncementReaction(Entity):
    """An account reacted to an announcement with an emoji"""

    announcement_id = fields.BigIntField(db_index=True)
    account_id = fields.BigIntField()
    name = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "announcement_reactions"
        unique_together = (("announcement_id", "account_id", "name"),)
