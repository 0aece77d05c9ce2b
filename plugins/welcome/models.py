"""The welcome plugin's one table: who is waiting for a greeting, and the status that greeted them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Greeting(Model):
    """A newcomer to greet: pending while sent_at is empty, then the id of the status that greeted them."""

    id = fields.IntField(primary_key=True)
    # The account's id, not a foreign key: plugin tables stay out of the way of the core's migrations.
    account_id = fields.BigIntField(unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    status_id = fields.BigIntField(null=True)

    class Meta:
        table = "welcome_greetings"  # plugin tables start with the plugin's name
