"""Direct-message threads as each local participant sees them (Mastodon's account conversations)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class Conversation(Entity):
    """One account's view of one direct thread with one set of other participants"""

    account = fields.ForeignKeyField("models.Account", related_name="conversations", on_delete=fields.CASCADE)
    root_status_id = fields.BigIntField()  # the thread's first known status
    participant_ids = fields.CharField(max_length=1024, default="")  # the others, sorted ids joined by ","
    status_ids = fields.JSONField(default=list)
    last_status_id = fields.BigIntField()
    unread = fields.BooleanField(default=False)

    class Meta:
        table = "conversations"
        unique_together = (("account", "root_status_id", "participant_ids"),)
        indexes = (("account_id", "last_status_id"),)
