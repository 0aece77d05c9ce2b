"""The transactional outbox: what a write must still cause outside its own rows, stored in the write's own
transaction and removed in the transaction that carries it out (node/effects.py)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class PendingEffect(Entity):
    """One event whose durable subscribers have not run yet (its payload kept as a snapshot)."""

    name = fields.CharField(max_length=64)
    payload = fields.TextField()  # JSON: plain values and snapshots of model rows
    context = fields.TextField(default="{}")  # JSON: the context variables the event was raised under
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "pending_effects"
        indexes = (("next_attempt_at",),)
