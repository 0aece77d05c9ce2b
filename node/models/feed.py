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
    author_id = fields.BigIntField()  # the status's account: home reads leave exclusive lists' members out by it

    class Meta:
        table = "home_feed"
        unique_together = (("account_id", "status_id"),)
        # No (account_id, author_id) index: a reader's rows by one author are spread through it, so a
        # fan-out dirtied a page of it per row, and every commit wrote those pages out (in-process posting
        # 414-446 -> 619-621 /s without it). Unfollows, blocks and suspensions find an author's rows through
        # their statuses instead (services/feeds.py).
        indexes = (("status_id",),)
