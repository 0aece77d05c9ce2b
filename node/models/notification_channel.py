"""Notification channels beyond in-app: per-type preferences and quiet hours, Web Push subscriptions, and the
persisted push and mail jobs the dispatcher writes from new notifications."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from .base import Entity


class NotificationSettings(Entity):
    """What a local account wants by Web Push and email, per notification type, and when to stay quiet"""

    account = fields.OneToOneField(
        "models.Account", related_name="notification_settings", on_delete=fields.CASCADE
    )
    types = fields.JSONField(
        default=dict
    )  # {"mention": {"push": true, "email": false}, ...}; missing = default
    quiet_enabled = fields.BooleanField(default=False)
    quiet_start = fields.CharField(max_length=5, default="22:00")  # HH:MM in `timezone`
    quiet_end = fields.CharField(max_length=5, default="07:00")
    timezone = fields.CharField(max_length=64, default="UTC")  # an IANA zone name
    email_digest = fields.CharField(max_length=8, default="off")  # off | daily | weekly
    digest_sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification_settings"


class PushSubscription(Entity):
    """A Web Push endpoint, one per access token or browser session (credential_hash), as Mastodon keeps one per token"""

    account = fields.ForeignKeyField(
        "models.Account", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    credential_hash = fields.CharField(max_length=80, unique=True)  # "token:<sha256>" or "session:<sha256>"
    endpoint = fields.CharField(max_length=2048)
    p256dh = fields.CharField(max_length=128)  # the browser's P-256 public key, base64url
    auth = fields.CharField(max_length=64)  # the 16-byte auth secret, base64url
    alerts = fields.JSONField(default=dict)  # {"mention": true, ...}; missing = false
    policy = fields.CharField(max_length=16, default="all")  # all | followed | follower | none
    standard = fields.BooleanField(default=False)  # true: RFC 8291 aes128gcm, false: the legacy aesgcm draft
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_subscriptions"


class ChannelCursor(Model):
    """How far a persisted walker (the notification dispatcher) has read, by name"""

    name = fields.CharField(max_length=64, primary_key=True)
    position = fields.BigIntField(default=0)

    class Meta:
        table = "channel_cursors"


class ChannelJob(Entity):
    """One push or mail to send: written by the dispatcher with its cursor, sent and retried by a worker"""

    account = fields.ForeignKeyField("models.Account", related_name="channel_jobs", on_delete=fields.CASCADE)
    channel = fields.CharField(max_length=8)  # push | email
    # notification | summary | digest | confirm | reset | archive | signup_attempt
    kind = fields.CharField(max_length=16, default="notification")
    subscription = fields.ForeignKeyField(
        "models.PushSubscription", related_name="jobs", null=True, on_delete=fields.CASCADE
    )
    notification_ids = fields.JSONField(default=list)
    # pending: due at due_at; held: waiting for quiet hours to end (due_at), then folded into one summary;
    # sent, summarised (folded into a summary), failed (permanent), given_up (kept failing too long).
    state = fields.CharField(max_length=12, default="pending")
    due_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "channel_jobs"
        indexes = (("state", "due_at"),)
