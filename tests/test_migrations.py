"""Schema migrations: an old database upgrades in place keeping its rows, and a new database's one-step
schema is exactly what replaying every migration produces."""

import sqlite3
from datetime import UTC, datetime

import postgres_databases
import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from node.db import APPS, close_database, open_database, tortoise_config

# The PostgreSQL run skips what would only repeat the SQLite run: these tests make their own.
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason="SQLite's migrations (tests/test_postgres_schema.py replays them on PostgreSQL)")


def schema(path) -> dict[str, list]:
    """Tables with their columns, and indexes with their columns, ignoring names and order."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'tortoise_migrations'")]
        shape = {}
        for table in tables:
            columns = sorted((r[1], r[2].upper(), r[3], r[5]) for r in db.execute(f'PRAGMA table_info("{table}")'))
            indexes = sorted(
                (tuple(c[2] for c in db.execute(f'PRAGMA index_info("{i[1]}")')), i[2])
                for i in db.execute(f'PRAGMA index_list("{table}")'))
            shape[table] = [columns, indexes]
        return shape
    finally:
        db.close()


async def replay_migrations(url: str, upto: str | None = None) -> None:
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=tortoise_config(url), _create_db=True)
        targets = [MigrationTarget(app_label="models", name=upto)] if upto else None
        await MigrationExecutor(ctx.db(), APPS).migrate(targets)
        await ctx.close_connections()


async def test_fresh_schema_equals_replayed_migrations(tmp_path):
    fresh, replayed = tmp_path / "fresh.sqlite3", tmp_path / "replayed.sqlite3"
    await close_database(await open_database(f"sqlite://{fresh}"))
    await replay_migrations(f"sqlite://{replayed}")
    assert schema(fresh) == schema(replayed)
    assert "statuses" in schema(fresh)


async def test_old_database_upgrades_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    await replay_migrations(f"sqlite://{path}", upto="0001_initial")
    db = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat(sep=" ")
    db.execute("INSERT INTO accounts (id, username, domain, display_name, note, note_source, avatar, header, "
               "fields_json, locked, bot, discoverable, created_at, inbox_url, shared_inbox_url, followers_url, "
               "public_key_pem, private_key_pem, followers_count, following_count, statuses_count) "
               "VALUES (1, 'old', '', 'Old Timer', '', '', '', '', '[]', 0, 0, 1, ?, '', '', '', '', '', 0, 0, 0)",
               (now,))
    # Every real node has a user: columns later migrations add to `users` (NOT NULL with a default) must
    # reach this row too.
    db.execute("INSERT INTO users (id, email, password_hash, admin, approved, locale, default_visibility, "
               "created_at, account_id) VALUES (1, 'old@example.com', 'x', 0, 1, 'en', 'public', ?, 1)", (now,))
    db.commit()
    db.close()
    ctx = await open_database(f"sqlite://{path}")  # what `entativa init` does
    with ctx:
        rows = await ctx.db().execute_query_dict("SELECT username, display_name FROM accounts")
        users = await ctx.db().execute_query_dict("SELECT email, disabled FROM users")
        applied = await ctx.db().execute_query_dict("SELECT name FROM tortoise_migrations")
    await close_database(ctx)
    assert rows == [{"username": "old", "display_name": "Old Timer"}]
    assert users == [{"email": "old@example.com", "disabled": 0}]
    assert len(applied) > 1  # the later migrations ran
    fresh = tmp_path / "fresh.sqlite3"
    await close_database(await open_database(f"sqlite://{fresh}"))
    assert schema(path) == schema(fresh)
