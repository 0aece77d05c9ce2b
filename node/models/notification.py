"""Notifications: something happened that an account should hear about."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

TYPES = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update")


class Notification(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="notifications", on_delete=fields.CASCADE)
    from_account = fields.ForeignKeyField("models.Account", related_name="caused_notifications",
                                          on_delete=fields.CASCADE)
    type = fields.CharField(max_length=32)
    status = fields.ForeignKeyField("models.Status", related_name="notifications", null=True,
                                    on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications"
        indexes = (("account_id", "id"),)
