"""Reading a page's statuses by id: the rows in the order asked, each reblog's original and every author in
place (so visibility and the entities make no query of their own for them).

On SQLite it is one trip to the connection's thread with plain statements, hydrated with `db.hydrate`:
through the ORM the same three reads cost about a millisecond of a timeline request, most of it building
the queries and parsing their dates. Elsewhere the ORM reads them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from .. import db
from ..models import Account, Status


def _marks(count: int) -> str:
    return ",".join("?" * count)


def read_statuses(connection: sqlite3.Connection, ids: Sequence[int]) -> list[Status]:
    """On the connection's thread: the statuses of `ids` in that order (missing ones left out), originals
    attached as `reblog_of`, authors as `account`."""
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    found = {s.id: s for s in db.hydrate(Status, connection.execute(
        f"SELECT * FROM statuses WHERE id IN ({_marks(len(wanted))})", wanted))}
    originals = {s.reblog_of_id for s in found.values() if s.reblog_of_id is not None} - found.keys()
    everything = dict(found)
    if originals:
        everything.update((s.id, s) for s in db.hydrate(Status, connection.execute(
            f"SELECT * FROM statuses WHERE id IN ({_marks(len(originals))})", list(originals))))
    accounts = read_accounts(connection, {s.account_id for s in everything.values()})
    for status in everything.values():
        # what `status.account = ...` stores, past Model.__setattr__ (the ids are already the same)
        state = status.__dict__
        if status.account_id in accounts:
            state["_account"] = accounts[status.account_id]
        if status.reblog_of_id is not None and status.reblog_of_id in everything:
            state["_reblog_of"] = everything[status.reblog_of_id]
    return [found[i] for i in ids if i in found]


def read_accounts(connection: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Account]:
    """On the connection's thread: the accounts of `ids` by id (missing ones left out)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {a.id: a for a in db.hydrate(Account, connection.execute(
        f"SELECT * FROM accounts WHERE id IN ({_marks(len(wanted))})", wanted))}


async def accounts_by_id(ids: Iterable[int]) -> dict[int, Account]:
    """The accounts of `ids` by id, missing ones left out."""
    wanted = set(ids)
    if not wanted:
        return {}
    if db.is_sqlite(Account):
        return await db.read(lambda connection: read_accounts(connection, wanted))
    return {a.id: a for a in await Account.filter(id__in=wanted)}


async def in_order(ids: Sequence[int]) -> list[Status]:
    """The statuses of `ids` in that order, missing ones left out (with originals and authors on SQLite)."""
    if not ids:
        return []
    if db.is_sqlite(Status):
        return await db.read(lambda connection: read_statuses(connection, ids))
    rows = {s.id: s for s in await Status.filter(id__in=list(ids))}
    return [rows[i] for i in ids if i in rows]
