"""Moving a node from SQLite to PostgreSQL (`entativa migrate-to-postgres`): today's schema made in an empty
PostgreSQL database, then every table's rows copied over with their ids, and the sequences moved past them.

The SQLite file is brought up to date first and only read. Foreign keys are dropped while the rows go in
(replies and reblogs point at rows with larger ids, so no table order satisfies them) and added back at
the end, which checks every row against them; the whole copy is one transaction, so a failure leaves the
PostgreSQL database empty again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from .db import close_database, open_database

Progress = Callable[[str, int, int], None]
BATCH = 5000  # rows per COPY: large enough to stream, small enough to show progress


class CopyError(Exception):
    """The copy cannot start or could not finish (the message is one line for the operator)."""


def _when(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# SQLite keeps booleans as 0/1, times and dates as ISO text, JSON as text: each PostgreSQL column type gets
# the Python value asyncpg's binary COPY expects for it.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,
    "timestamp with time zone": _when,
    "timestamp without time zone": lambda v: _when(v).replace(tzinfo=None),
    "date": lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)),
    "time without time zone": lambda v: v if isinstance(v, time) else time.fromisoformat(str(v)),
    "jsonb": lambda v: v if isinstance(v, str) else json.dumps(v),
    "json": lambda v: v if isinstance(v, str) else json.dumps(v),
    "uuid": lambda v: UUID(str(v)),
    "numeric": lambda v: Decimal(str(v)),
    "bytea": lambda v: v if isinstance(v, bytes) else str(v).encode(),
    "bigint": int,
    "integer": int,
    "smallint": int,
    "double precision": float,
    "real": float,
}


def _converter(data_type: str) -> Callable[[Any], Any]:
    convert = _CONVERT.get(data_type)
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)


def dsn(url: str) -> str:
    """tortoise's URL without its own query options (asyncpg would refuse them as server settings)."""
    return url.split("?", 1)[0].replace("postgres://", "postgresql://", 1)


async def copy_to_postgres(sqlite_url: str, postgres_url: str, apps: dict, progress: Progress | None = None
                           ) -> dict[str, int]:
    """Copy the node at `sqlite_url` into the empty database at `postgres_url`; returns rows per table."""
    source_path = sqlite_url.removeprefix("sqlite://")
    try:
        target = await asyncpg.connect(dsn(postgres_url))
    except (OSError, asyncpg.PostgresError) as exc:
        raise CopyError(f"cannot connect to {postgres_url.split('@')[-1]}: {exc}") from None
    try:
        if await target.fetchval("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_schema = current_schema()"):
            raise CopyError("the PostgreSQL database is not empty; give an empty one (createdb)")
        await close_database(await open_database(sqlite_url, apps))  # the source, up to date
        try:
            await close_database(await open_database(postgres_url, apps))  # today's schema, migrations recorded
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            try:
                async with target.transaction():
                    return await _copy(source, target, progress or (lambda *_: None))
            finally:
                source.close()
        except BaseException:
            # The schema was made outside the copy's transaction: empty the database again.
            await target.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            raise
    finally:
        await target.close()


async def _copy(source: sqlite3.Connection, target: asyncpg.Connection, progress: Progress) -> dict[str, int]:
    columns = await target.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    tables: dict[str, list[tuple[str, str]]] = {}
    for row in columns:
        tables.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    tables.pop("tortoise_migrations", None)  # the target recorded its own when it made the schema
    keys = await target.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS definition "
        "FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace")
    for key in keys:
        await target.execute(f'ALTER TABLE {key["tbl"]} DROP CONSTRAINT "{key["conname"]}"')
    missing = [name for name in tables if not _has_table(source, name)]
    if missing:
        raise CopyError(f"the SQLite database has no table {missing[0]!r}: is a plugin enabled here that "
                        "was not enabled there?")
    counts: dict[str, int] = {}
    for table, described in tables.items():
        names = [name for name, _ in described]
        converters = [_converter(data_type) for _, data_type in described]
        total = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        done = 0
        progress(table, 0, total)
        for batch in _batches(source, table, names):
            records = [tuple(convert(value) for convert, value in zip(converters, row, strict=True))
                       for row in batch]
            await target.copy_records_to_table(table, records=records, columns=names)
            done += len(records)
            progress(table, done, total)
        counts[table] = done
    for key in keys:  # back on, checking every copied row
        await target.execute(f'ALTER TABLE {key["tbl"]} ADD CONSTRAINT "{key["conname"]}" {key["definition"]}')
    await _move_sequences(target)
    return counts


def _has_table(source: sqlite3.Connection, name: str) -> bool:
    return source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() \
        is not None


def _batches(source: sqlite3.Connection, table: str, names: list[str]) -> Iterator[list[tuple]]:
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = source.execute(f'SELECT {quoted} FROM "{table}"')
    while batch := cursor.fetchmany(BATCH):
        yield batch


async def _move_sequences(target: asyncpg.Connection) -> None:
    """Serial columns (most ids are snowflakes, made by the node, not by a sequence) continue after the
    largest copied value, as SQLite's AUTOINCREMENT would."""
    serials = await target.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')")
    for row in serials:
        table, column = row["table_name"], row["column_name"]
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)')
