"""What every stored aggregate shares: time-sortable 64-bit ids, as Mastodon's snowflakes.

# Model docstrings become SQL table comments: tortoise splits migration SQL on ";", so none may hold one.
Ids sort by creation time, so `ORDER BY id` is chronological and Mastodon's max_id/since_id/min_id
pagination works on any table without a second index.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from ..errors import NotFound

_lock = threading.Lock()
_last = 0
# With several processes on one database (node/processes.py) each holds a slot, and its ids carry it in the
# 6 bits above a 10-bit sequence, so two processes never make the same id in the same millisecond.
SLOT_BITS = 6
SEQUENCE_BITS = 16 - SLOT_BITS
_slot: int | None = None


def use_process_slot(slot: int | None) -> None:
    global _slot
    assert slot is None or 0 <= slot < 2**SLOT_BITS
    _slot = slot


def snowflake(at: datetime | None = None) -> int:
    """A unique id: milliseconds since the Unix epoch in the high bits, 16 bits below for uniqueness."""
    global _last
    if at is not None:  # back-dated rows (imports, benchmarks): random low bits keep them unique
        return (int(at.timestamp() * 1000) << 16) | int.from_bytes(os.urandom(2), "big")
    with _lock:
        candidate = int(time.time() * 1000) << 16
        if _slot is None:
            _last = max(candidate, _last + 1)
            return _last
        mine = _slot << SEQUENCE_BITS
        sequence = (_last & (2**SEQUENCE_BITS - 1)) + 1
        if candidate > (_last >> 16) << 16:
            _last = candidate | mine
        elif sequence < 2**SEQUENCE_BITS:
            _last = ((_last >> 16) << 16) | mine | sequence
        else:  # this millisecond's sequence is used up: borrow the next millisecond
            _last = (((_last >> 16) + 1) << 16) | mine
        return _last


def snowflake_floor(at: datetime) -> int:
    """The smallest id that could have been made at `at`: turns a time into an id bound."""
    return int(at.timestamp() * 1000) << 16


ID_MAX = 2**63 - 1  # ids are signed 64-bit (SQLite INTEGER, PostgreSQL BIGINT)


def parse_id(value: object) -> int | None:
    """`value` (a path segment, query or body value) as a row id, or None when no row could have it."""
    if isinstance(value, bool):
        return None
    try:
        key = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return key if -ID_MAX - 1 <= key <= ID_MAX else None


def row_id(value: object) -> int:
    """A client-given id, or NotFound: what cannot be an id names no row. Every lookup by a client-given id
    goes through here, so `9223372036854775808` is a 404 like any other unknown id, never an OverflowError
    from the database driver."""
    if (key := parse_id(value)) is None:
        raise NotFound()
    return key


class Entity(Model):
    id = fields.BigIntField(primary_key=True, generated=False, default=snowflake)

    class Meta:
        abstract = True


class SetIndex(Index):
    """An index over the rows whose first column is set (a partial index: SQLite and PostgreSQL). Lookups by
    that column (`= ?`, `IN (...)`) use it; a filter on `column IS NULL` cannot, so the planner never takes it
    for timelines, where nearly every row is NULL there and reading newest-first by id is the fast plan."""

    def __init__(self, *, fields: tuple[str, ...] | list[str], name: str | None = None) -> None:
        super().__init__(fields=fields, name=name)
        self.extra = f' WHERE "{self.fields[0]}" IS NOT NULL'
