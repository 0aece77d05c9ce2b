"""Search state kept in the database: each user's search history and the journal of index work not yet
written to the search index (so a crash between a database write and its index write is repaired)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class SearchHistory(Entity):
    """A query a user searched for, most recent first, one row per distinct query."""

    account = fields.ForeignKeyField("models.Account", related_name="search_history", on_delete=fields.CASCADE)
    query = fields.CharField(max_length=500)
    searched_at = fields.DatetimeField()

    class Meta:
        table = "search_history"
        unique_together = (("account", "query"),)
        indexes = (("account_id", "searched_at"),)


class IndexJournal(Entity):
    """One pending index change (kind, object id, upsert or delete), removed once the index has it."""

    kind = fields.CharField(max_length=16)
    object_id = fields.BigIntField()
    op = fields.CharField(max_length=8, default="upsert")

    class Meta:
        table = "index_journal"
