"""Fresh PostgreSQL databases for test nodes when the suite runs on PostgreSQL (ENTATIVA_TEST_POSTGRES, set
by tests/postgres_cluster.py): every node a test makes gets its own database, so tests stay isolated and
run in parallel; each is dropped when its test ends."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from pathlib import Path

import asyncpg

CLUSTER = os.environ.get("ENTATIVA_TEST_POSTGRES", "")
_made: list[str] = []


def _run(coro_fn) -> None:  # type: ignore[no-untyped-def]
    # Tests call write_config from inside their event loop; the admin connection runs on a loop of its own.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro_fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def pg_tool(name: str) -> str:
    """A PostgreSQL client program (pg_restore, psql): on PATH or in Debian's versioned folder."""
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    assert found is not None, f"{name} is not installed"
    return str(found)


def _url(name: str) -> str:
    return CLUSTER.rsplit("/", 1)[0] + "/" + name


_template: list[str] = []


async def _template_database(connection: asyncpg.Connection) -> str:
    """This process's template: a database with today's core schema, made once. Copying it is several times
    faster than building the schema in each test's database."""
    if not _template:
        from node.db import close_database, open_database

        name = f"template_{os.getpid()}"
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        await close_database(await open_database(_url(name)))
        _template.append(name)
    return _template[0]


def fresh_database(*, empty: bool = False) -> str:
    """A new database on the test cluster, with the core schema unless `empty` (a node with plugins builds
    its whole schema at once, as on SQLite: running their migrations means replaying the core's history in
    memory first, which costs seconds); returns its URL."""
    name = f"node_{os.getpid()}_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(CLUSTER)
        try:
            template = "template0" if empty else await _template_database(connection)
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        finally:
            await connection.close()

    _run(create)
    _made.append(name)
    return _url(name)


def storage_section() -> dict[str, str]:
    """For tests that write their own node.toml: a fresh database on the PostgreSQL run, else nothing."""
    return {"database": fresh_database()} if CLUSTER else {}


def drop_databases() -> None:
    """Drop the databases made since the last call (a test's nodes are closed by then; FORCE ends any
    connection a test left open)."""
    names, _made[:] = list(_made), []
    if not names:
        return

    async def drop() -> None:
        connection = await asyncpg.connect(CLUSTER)
        try:
            for name in names:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    _run(drop)


async def every_row(client) -> bytes:  # type: ignore[no-untyped-def]
    """Every row of every table of a node's database as text (what its files would hold, for tests that
    search a node's storage for something that must not be there)."""
    tables = await client.execute_query_dict(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    texts = []
    for table in tables:
        rows = await client.execute_query_dict(f'SELECT t::text AS row FROM "{table["table_name"]}" t')
        texts += [row["row"] for row in rows]
    return "\n".join(texts).encode()
