"""Migrations on PostgreSQL: replaying every core migration gives exactly the one-step schema a new database
gets, and plugins' migrations apply to an existing database. Runs on the suite's PostgreSQL run."""

from __future__ import annotations

import asyncpg
import postgres_databases
import pytest
from support import write_config
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

from node.db import APPS, close_database, open_database, tortoise_config
from node.plugins import load_plugins
from node.postgres_copy import dsn

pytestmark = pytest.mark.skipif(not postgres_databases.CLUSTER, reason="needs the PostgreSQL run's cluster")


async def schema(url: str) -> dict[str, list]:
    """Tables with their columns (name, type, nullability) and indexes by their columns, ignoring names."""
    connection = await asyncpg.connect(dsn(url))
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name != 'tortoise_migrations'")
        indexes = await connection.fetch(
            "SELECT tablename, regexp_replace(indexdef, '^.* USING ', '') AS shape FROM pg_indexes "
            "WHERE schemaname = 'public' AND tablename != 'tortoise_migrations'")
    finally:
        await connection.close()
    shape: dict[str, list] = {}
    for row in columns:
        shape.setdefault(row["table_name"], [[], []])[0].append(tuple(row)[1:])
    for row in indexes:
        shape[row["tablename"]][1].append(row["shape"])
    return {table: [sorted(c), sorted(i)] for table, (c, i) in shape.items()}


async def test_replayed_migrations_equal_the_fresh_schema_on_postgres():
    fresh, replayed = postgres_databases.fresh_database(empty=True), postgres_databases.fresh_database(empty=True)
    await close_database(await open_database(fresh))
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=tortoise_config(replayed))
        await MigrationExecutor(ctx.db(), APPS).migrate()
        await ctx.close_connections()
    assert await schema(fresh) == await schema(replayed)
    assert "statuses" in await schema(fresh)


async def test_plugin_migrations_apply_to_an_existing_postgres_database(tmp_path):
    url = postgres_databases.fresh_database()  # the core's schema, as a node had before enabling plugins
    config = write_config(tmp_path, storage={"data_dir": "data", "database": url},
                          plugins={"enabled": ["e2ee", "welcome"]})
    apps = {**APPS, **load_plugins(config).tortoise_apps()}
    await close_database(await open_database(url, apps))
    tables = await schema(url)
    assert "welcome_greetings" in tables and any(name.startswith("e2ee_") for name in tables)
