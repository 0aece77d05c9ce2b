"""Idempotency-Key requests remembered (Mastodon's semantics): a retried POST with the same key from the same
account within an hour answers what the first one made and makes nothing new."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class IdempotencyKey(Entity):
    """A key an account sent with a request that created a status, stored with that status."""

    account_id = fields.BigIntField()
    key = fields.CharField(max_length=255)
    status_id = fields.BigIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_keys"
        unique_together = (("account_id", "key"),)
        indexes = (("created_at",),)
