"""node.db.read on SQLite: hand-written reads run on the event loop's thread on a read-only connection of
their own. They must see every acknowledged write at once, see a caller's transaction from inside it, never
write, and close with the node."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from node import db
from node.db import close_database, open_database
from node.models import Tag

INSERT = "INSERT INTO tags (id, name, display_name, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)"


def _names(connection: sqlite3.Connection) -> list[str]:
    return [row["name"] for row in connection.execute("SELECT name FROM tags ORDER BY id")]


@pytest.fixture
async def node_db(tmp_path):  # type: ignore[no-untyped-def]
    ctx = await open_database(f"sqlite://{tmp_path / 'node.sqlite3'}")
    with ctx:
        yield ctx
    await close_database(ctx)


async def test_a_read_sees_each_write_once_it_is_acknowledged(node_db) -> None:
    for number, name in enumerate(("one", "two", "three"), start=1):
        await db.write(lambda connection, n=number, name=name: connection.execute(INSERT, (n, name, name)))
        assert (await db.read(_names))[-1] == name
    await Tag.create(name="four", display_name="four")  # through the ORM's own connection, too
    assert await db.read(_names) == ["one", "two", "three", "four"]
    assert await db.query("SELECT name FROM tags WHERE id = ?", [2]) == [{"name": "two"}]  # the same reader
    # the read ran on this thread (no trip to the ORM's connection thread), which is the point of it
    assert await db.read(lambda connection: threading.get_ident()) == threading.get_ident()


async def test_a_read_inside_a_transaction_sees_its_uncommitted_writes(node_db) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await Tag.create(name="pending", display_name="pending")
            assert await db.read(_names) == ["pending"]
            assert await db.query("SELECT name FROM tags") == [{"name": "pending"}]
            raise RuntimeError("the transaction fails after the read")
    assert await db.read(_names) == []  # rolled back: the reader never saw it as committed


async def test_a_read_cannot_write(node_db) -> None:
    with pytest.raises(OperationalError):
        await db.read(lambda connection: connection.execute(INSERT, (1, "sneaky", "sneaky")))
    assert await db.read(_names) == []
    await db.write(lambda connection: connection.execute(INSERT, (2, "fine", "fine")))  # the writer still can
    assert await db.read(_names) == ["fine"]  # and the failed read left no transaction open behind it


async def test_the_reader_closes_with_the_database(tmp_path) -> None:
    ctx = await open_database(f"sqlite://{tmp_path / 'node.sqlite3'}")
    with ctx:
        reader = await db.read(lambda connection: connection)
    await close_database(ctx)
    with pytest.raises(sqlite3.ProgrammingError):  # closed, so the file is not held open past the node
        reader.execute("SELECT 1")
