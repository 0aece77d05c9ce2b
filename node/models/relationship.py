"""Who follows, asked to follow, blocks and mutes whom."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class Follow(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="following_rel", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField("models.Account", related_name="followers_rel", on_delete=fields.CASCADE)
    show_reblogs = fields.BooleanField(default=True)
    notify = fields.BooleanField(default=False)
    uri = fields.CharField(max_length=1024, null=True)  # the Follow activity's id
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follows"
        unique_together = (("account", "target_account"),)
        indexes = (("target_account_id", "account_id"),)


class FollowRequest(Entity):
    """A follow waiting for a locked account's answer."""

    account = fields.ForeignKeyField("models.Account", related_name="outgoing_requests", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField("models.Account", related_name="incoming_requests",
                                            on_delete=fields.CASCADE)
    show_reblogs = fields.BooleanField(default=True)
    notify = fields.BooleanField(default=False)
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follow_requests"
        unique_together = (("account", "target_account"),)


class Block(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="blocking_rel", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField("models.Account", related_name="blocked_by_rel", on_delete=fields.CASCADE)
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocks"
        unique_together = (("account", "target_account"),)
        indexes = (("target_account_id", "account_id"),)


class Mute(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="muting_rel", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField("models.Account", related_name="muted_by_rel", on_delete=fields.CASCADE)
    hide_notifications = fields.BooleanField(default=True)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mutes"
        unique_together = (("account", "target_account"),)
