"""Statuses written now and published later (Mastodon's scheduled statuses)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class ScheduledStatus(Entity):
    """A status to publish at scheduled_at: params holds what was posted, as Mastodon's entity shows it"""

    account = fields.ForeignKeyField(
        "models.Account", related_name="scheduled_statuses", on_delete=fields.CASCADE
    )
    scheduled_at = fields.DatetimeField(db_index=True)
    params = fields.JSONField(default=dict)

    class Meta:
        table = "scheduled_statuses"
        indexes = (("account_id", "id"),)
