"""The database: opening a node's own Tortoise context, SQLite tuning, and schema migrations.

Each node owns a TortoiseContext rather than Tortoise's process-global state, so several nodes can run
in one process (the federation tests do) and every query goes to the right database.
"""

from __future__ import annotations

from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

# Migrations live in node/migrations (made with `tortoise -c node.db.TORTOISE_ORM makemigrations`).
APPS = {"models": {"models": ["node.models"], "migrations": "node.migrations", "default_connection": "default"}}

# What the `tortoise` CLI reads to make a new migration after a model changes.
TORTOISE_ORM = {"connections": {"default": "sqlite://:memory:"}, "apps": APPS}

# WAL lets readers run beside the writer; NORMAL sync in WAL mode still survives a process crash
# (an OS crash may lose the last transactions, never corrupt the file).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=5000", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-32000")


def tortoise_config(database_url: str, apps: dict | None = None) -> dict:
    return {"connections": {"default": database_url}, "apps": apps or APPS}


async def open_database(database_url: str, apps: dict | None = None) -> TortoiseContext:
    """Connect, tune SQLite, and bring the schema up to date; returns the node's context."""
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=tortoise_config(database_url, apps), _create_db=database_url.startswith("sqlite"))
        connection = ctx.db()
        fresh = False
        if database_url.startswith("sqlite"):
            for pragma in SQLITE_PRAGMAS:
                await connection.execute_script(pragma)
            fresh = not await connection.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1")
        if fresh:
            # A new database gets today's schema in one step and every migration recorded as applied:
            # replaying the whole history costs seconds per node (tortoise re-renders its model state for
            # each operation) and ends in the same schema, which `makemigrations` keeps equal to the models.
            await ctx.generate_schemas(safe=False)
            await MigrationExecutor(connection, apps or APPS).migrate(fake=True)
        else:
            await MigrationExecutor(connection, apps or APPS).migrate()
    return ctx


async def close_database(ctx: TortoiseContext) -> None:
    with ctx:
        await ctx.close_connections()
