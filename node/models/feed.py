"""Home feeds, materialised: one row per (reader, status) written when the status is created.

Reading a home timeline is then one index range scan, however many accounts the reader follows
(Mastodon keeps the same lists in Redis; ours live in the database so they survive a restart).
"""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class HomeFeedEntry(Entity):
    account_id = fields.BigIntField()  # the reader
    status_id = fields.BigIntField()
    author_id = fields.BigIntField()  # so an unfollow can take the author's entries out

    class Meta:
        table = "home_feed"
        unique_together = (("account_id", "status_id"),)
        indexes = (("account_id", "author_id"), ("status_id",))
