"""node.db's group commit: concurrent writes share a transaction but fail alone, callers resume after COMMIT,
and a write inside an ORM transaction belongs to that transaction."""

from __future__ import annotations

import asyncio

import postgres_databases
import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from node import db
from node.api.keys import NODE
from node.models import Tag

# The group commit is SQLite's (PostgreSQL takes the ORM path, node/db.py).
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason="SQLite's group commit")

INSERT = "INSERT INTO tags (id, name, display_name, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)"


def _tag(tag_id: int, name: str):  # type: ignore[no-untyped-def]
    return lambda connection: connection.execute(INSERT, (tag_id, name, name)).rowcount


async def test_concurrent_writes_commit_together_and_fail_alone(node_client) -> None:
    node = node_client.app[NODE]
    with node.db:
        outcomes = await asyncio.gather(db.write(_tag(1, "one")), db.write(_tag(2, "one")),  # same unique name
                                        db.write(_tag(3, "three")), return_exceptions=True)
        assert outcomes[0] == 1 and outcomes[2] == 1
        assert isinstance(outcomes[1], IntegrityError)  # the ORM's error, so the API answers 409, not 500
        assert sorted(await Tag.all().values_list("id", flat=True)) == [1, 3]  # nothing of the failed write


async def test_a_write_inside_a_transaction_rolls_back_with_it(node_client) -> None:
    node = node_client.app[NODE]
    with node.db:
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await db.write(_tag(7, "seven"))
                raise RuntimeError("the caller's transaction fails after the write")
        assert not await Tag.filter(id=7).exists()
        await db.write(_tag(8, "eight"))
        assert await Tag.filter(id=8).exists()
