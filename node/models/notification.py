"""Notifications: something happened that an account should hear about; the account's notification policy
(Mastodon 4.3's: what to do with notifications from strangers, new accounts, private mentions) and the
requests that filtered notifications roll up into."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

# Mastodon's types, then ours (extension types: Mastodon apps skip or generically show what they do not know).
MASTODON_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
)
OWN_TYPES = ("take_trend_joined", "take_template_used", "story_reply", "story_reaction", "story_mention", "story_sticker_answer",
             "story_countdown_ended", "e2ee_message", "e2ee_call")  # e2ee_*: never the text, never a call's SDP
TYPES = MASTODON_TYPES + OWN_TYPES

POLICY_ACTIONS = ("accept", "filter", "drop")


class Notification(Entity):
    """One notification of one local account, with its group key (grouping types) and whether it was filtered"""

    account = fields.ForeignKeyField("models.Account", related_name="notifications", on_delete=fields.CASCADE)
    from_account = fields.ForeignKeyField(
        "models.Account", related_name="caused_notifications", on_delete=fields.CASCADE
    )
    type = fields.CharField(max_length=32)
    status = fields.ForeignKeyField(
        "models.Status", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    group_key = fields.CharField(max_length=128, null=True)
    filtered = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications"
        indexes = (("account_id", "id"), ("account_id", "group_key", "id"))


class NotificationPolicy(Entity):
    """What an account does (accept, filter, drop) with notifications from strangers, new accounts and the like"""

    account = fields.OneToOneField(
        "models.Account", related_name="notification_policy", on_delete=fields.CASCADE
    )
    for_not_following = fields.CharField(max_length=8, default="accept")
    for_not_followers = fields.CharField(max_length=8, default="accept")
    for_new_accounts = fields.CharField(max_length=8, default="accept")
    for_private_mentions = fields.CharField(max_length=8, default="filter")
    for_limited_accounts = fields.CharField(max_length=8, default="filter")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_policies"


class NotificationRequest(Entity):
    """Filtered mentions from one sender, waiting for the account to accept or dismiss them"""

    account = fields.ForeignKeyField(
        "models.Account", related_name="notification_requests", on_delete=fields.CASCADE
    )
    from_account = fields.ForeignKeyField("models.Account", related_name=False, on_delete=fields.CASCADE)
    last_status = fields.ForeignKeyField(
        "models.Status", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    notifications_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_requests"
        unique_together = (("account", "from_account"),)


class NotificationPermission(Entity):
    """A sender whose request the account accepted: the policy no longer filters them"""

    account = fields.ForeignKeyField(
        "models.Account", related_name="notification_permissions", on_delete=fields.CASCADE
    )
    from_account = fields.ForeignKeyField("models.Account", related_name=False, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_permissions"
        unique_together = (("account", "from_account"),)
