"""Read markers: where an account stopped reading its home timeline and its notifications."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

TIMELINES = ("home", "notifications")


class Marker(Entity):
    """The last read id of one timeline of one account, with a version that counts its updates."""

    account = fields.ForeignKeyField("models.Account", related_name="markers", on_delete=fields.CASCADE)
    timeline = fields.CharField(max_length=32)
    last_read_id = fields.BigIntField(default=0)
    version = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "markers"
        unique_together = (("account", "timeline"),)
