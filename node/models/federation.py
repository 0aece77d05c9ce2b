"""Federation state: received activities (the inbox queue), sent activities and their deliveries (the
outbox queue), the peers we talk to, domain blocks and reports."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

INBOX_STATES = ("pending", "done", "failed")
DELIVERY_STATES = ("pending", "delivered", "failed", "given_up")
BLOCK_SEVERITIES = ("noop", "silence", "suspend")


class InboxActivity(Entity):
    """A received activity, stored before the inbox answered 202 and then processed from the queue."""

    activity_uri = fields.CharField(max_length=1024, null=True, unique=True)  # idempotency by activity id
    actor_uri = fields.CharField(max_length=1024)
    type = fields.CharField(max_length=64)
    payload = fields.JSONField()
    state = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    error = fields.TextField(default="")
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_activities"
        indexes = (("state", "id"),)


class OutboxActivity(Entity):
    """An activity a local actor sent: its id, its JSON body (shared by all its deliveries) and its signer."""

    uri = fields.CharField(max_length=1024, unique=True)
    actor_id = fields.BigIntField()  # the signing local account, 0 for the instance actor
    type = fields.CharField(max_length=64)
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_activities"
        indexes = (("actor_id", "id"),)


class Delivery(Entity):
    """One activity to one inbox: pending until delivered, retried with backoff, given up after a while."""

    activity = fields.ForeignKeyField("models.OutboxActivity", related_name="deliveries", on_delete=fields.CASCADE)
    inbox_url = fields.CharField(max_length=1024)
    host = fields.CharField(max_length=253)
    state = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "deliveries"
        unique_together = (("activity", "inbox_url"),)
        indexes = (("state", "next_attempt_at"), ("host", "state"))


class Peer(Entity):
    """A server we deliver to or hear from: whether it answers, its failure streak, its signature scheme."""

    host = fields.CharField(max_length=253, unique=True)
    available = fields.BooleanField(default=True)
    failures = fields.IntField(default=0)  # consecutive failed deliveries
    rfc9421 = fields.BooleanField(default=False)  # it signed to us with RFC 9421, so it verifies them too
    software = fields.CharField(max_length=64, default="")  # its NodeInfo software name, once read
    software_checked_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    last_failure_at = fields.DatetimeField(null=True)
    unavailable_since = fields.DatetimeField(null=True)

    class Meta:
        table = "peers"


class DomainBlock(Entity):
    """An admin's block of a whole server: silence keeps it out of public timelines, suspend cuts it off."""

    domain = fields.CharField(max_length=253, unique=True)
    severity = fields.CharField(max_length=16, default="silence")
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    private_comment = fields.TextField(default="")
    public_comment = fields.TextField(default="")
    obfuscate = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "domain_blocks"


class Report(Entity):
    """A report of an account (and some of its statuses) to this node's admins, local or from a Flag."""

    account = fields.ForeignKeyField("models.Account", related_name="reports_filed", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField("models.Account", related_name="reports_received",
                                            on_delete=fields.CASCADE)
    status_ids = fields.JSONField(default=list)
    comment = fields.TextField(default="")
    category = fields.CharField(max_length=16, default="other")
    forwarded = fields.BooleanField(default=False)
    uri = fields.CharField(max_length=1024, null=True, unique=True)
    action_taken_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reports"
        indexes = (("target_account_id", "id"),)


class Tombstone(Entity):
    """An ActivityPub id that was deleted (a remote post or actor by its author, or one of ours): it is
    never stored again from a late or replayed Create, never fetched again, and ours answer 410."""

    uri = fields.CharField(max_length=1024, unique=True)
    account_id = fields.BigIntField(null=True)  # whose it was
    former_type = fields.CharField(max_length=32, default="Note")
    deleted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tombstones"
