"""A window on a time-ordered list, as Mastodon pages: older than max_id, newer than since_id, or the page
just after min_id, at most `limit` rows. Services apply it to querysets; the API reads it from a request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet


@dataclass(frozen=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int

    def filter(self, query: QuerySet, key: str = "id") -> QuerySet:
        """Restrict and order a queryset; call `arrange` on what it returns."""
        if self.max_id is not None:
            query = query.filter(**{f"{key}__lt": self.max_id})
        if self.since_id is not None:
            query = query.filter(**{f"{key}__gt": self.since_id})
        if self.min_id is not None:  # the page just after min_id: read upwards, then show newest first
            return query.filter(**{f"{key}__gt": self.min_id}).order_by(key).limit(self.limit)
        return query.order_by(f"-{key}").limit(self.limit)

    def sql(self, key: str) -> tuple[str, list[int], str]:
        """The same window for a hand-written SQLite read on column `key`: conditions to append to a WHERE
        (each starting with AND), their values, and the ORDER BY ... LIMIT to end it with."""
        conditions, values = [], []
        for bound, op in ((self.max_id, "<"), (self.since_id, ">"), (self.min_id, ">")):
            if bound is not None:
                conditions.append(f" AND {key} {op} ?")
                values.append(bound)
        order = "" if self.min_id is not None else " DESC"
        return "".join(conditions), values, f" ORDER BY {key}{order} LIMIT {int(self.limit)}"

    def arrange(self, rows: Sequence[Any]) -> list[Any]:
        return list(reversed(rows)) if self.min_id is not None else list(rows)
