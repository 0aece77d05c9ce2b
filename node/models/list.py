"""Lists: an account's own groups of accounts it follows, each with its own timeline (Mastodon's lists)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

REPLIES_POLICIES = ("followed", "list", "none")


class List(Entity):
    """A named group of followed accounts: replies_policy picks which replies its timeline shows"""

    account = fields.ForeignKeyField("models.Account", related_name="lists", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=256)
    replies_policy = fields.CharField(max_length=16, default="list")
    exclusive = fields.BooleanField(default=False)  # members' posts leave the owner's home timeline
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lists"
        indexes = (("account_id", "id"),)


class ListAccount(Entity):
    list = fields.ForeignKeyField("models.List", related_name="members", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="in_lists", on_delete=fields.CASCADE)

    class Meta:
        table = "list_accounts"
        unique_together = (("list", "account"),)
        indexes = (("account_id", "list_id"),)
