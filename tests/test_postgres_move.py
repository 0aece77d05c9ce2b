"""Moving a node to PostgreSQL and backing it up there: a real SQLite node with posts, a reply to a later
post, follows, favourites, a poll and media is copied by `entativa migrate-to-postgres` (a subprocess, as a
person runs it), then served from PostgreSQL and read back; `entativa backup` there is a pg_dump that
pg_restore brings back. Runs on the suite's PostgreSQL run (ENTATIVA_TEST_POSTGRES)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import postgres_databases
import pytest
from fixtures.social import call, follow, png_bytes, post, upload, user
from support import REPO, write_config

from node.api.keys import NODE
from node.app import build_app
from node.cli import main as cli_main
from node.postgres_copy import dsn

pytestmark = pytest.mark.skipif(not postgres_databases.CLUSTER, reason="needs the PostgreSQL run's cluster")


def entativa(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node", "--config", str(config), *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


async def grow_sqlite_node(aiohttp_client, folder: Path) -> dict:  # type: ignore[no-untyped-def]
    """A SQLite node with a little of everything; returns what it showed, to compare after the move."""
    config = write_config(folder, storage={"data_dir": "data", "database": "sqlite://data/node.sqlite3"})
    client = await aiohttp_client(build_app(config, scheduler=False))
    node = client.app[NODE]
    ann_id, ann = await user(node, "ann")
    bob_id, bob = await user(node, "bob")
    await follow(client, bob, ann_id)
    first = await post(client, ann, "the first post #moving")
    later = await post(client, bob, "a later post")
    await post(client, ann, "replying to a later post", in_reply_to_id=later["id"])  # a smaller id points up
    status, _ = await call(client, "POST", f"/api/v1/statuses/{first['id']}/favourite", bob)
    assert status == 200
    status, media = await upload(client, ann, png_bytes(), "p.png", "image/png")
    assert status == 200, media
    await post(client, ann, "with a picture", media_ids=[media["id"]])
    await post(client, ann, "a poll", poll={"options": ["yes", "no"], "expires_in": 3600})
    _, home = await call(client, "GET", "/api/v1/timelines/home", bob)
    _, ann_account = await call(client, "GET", f"/api/v1/accounts/{ann_id}", bob)
    await client.close()
    return {"config": config, "home": home, "ann": ann_account, "ann_id": ann_id, "bob_id": bob_id,
            "bob_token": bob}


def sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                           "'sqlite_%' AND name != 'tortoise_migrations'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


async def postgres_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn(url))
    try:
        tables = [r["table_name"] for r in await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name != 'tortoise_migrations'")]
        return {t: await connection.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    finally:
        await connection.close()


async def test_migrate_to_postgres_copies_everything_and_the_node_serves_from_it(aiohttp_client, tmp_path):
    grown = await grow_sqlite_node(aiohttp_client, tmp_path)
    config = grown["config"]
    target = postgres_databases.fresh_database(empty=True)

    moved = entativa(config.path, "migrate-to-postgres", target)
    assert moved.returncode == 0, moved.stderr
    assert "statuses" in moved.stderr and "accounts" in moved.stderr  # the progress, table by table
    before = sqlite_counts(tmp_path / "data" / "node.sqlite3")
    assert before["statuses"] == 5 and before["media_attachments"] == 1 and before["polls"] == 1
    assert await postgres_counts(target) == before  # every table, every row

    again = entativa(config.path, "migrate-to-postgres", target)
    assert again.returncode == 2 and "not empty" in again.stderr  # never over a node's data

    served = write_config(tmp_path, storage={"data_dir": "data", "database": target})
    client = await aiohttp_client(build_app(served, scheduler=False))
    _, home = await call(client, "GET", "/api/v1/timelines/home", grown["bob_token"])
    assert home == grown["home"]  # the same ids, texts, counts, media and poll, read back from PostgreSQL
    _, ann = await call(client, "GET", f"/api/v1/accounts/{grown['ann_id']}", grown["bob_token"])
    assert ann == grown["ann"]
    fresh = await post(client, grown["bob_token"], "first post on PostgreSQL")
    assert int(fresh["id"]) > max(int(s["id"]) for s in home)
    _, home = await call(client, "GET", "/api/v1/timelines/home", grown["bob_token"])
    assert home[0]["id"] == fresh["id"]


async def test_migrate_to_postgres_refuses_what_it_cannot_do(tmp_path, capsys):
    config = write_config(tmp_path, storage={"data_dir": "data", "database": "sqlite://data/node.sqlite3"})
    assert cli_main(["--config", str(config.path), "migrate-to-postgres", "mysql://x@y/z"]) == 2
    assert "postgres://user:password@host:port/database" in capsys.readouterr().err
    assert cli_main(["--config", str(config.path), "migrate-to-postgres", postgres_databases.CLUSTER]) == 2
    assert "no database at" in capsys.readouterr().err  # nothing to copy: never made an empty target
    on_postgres = write_config(tmp_path, storage={"data_dir": "data"})
    assert cli_main(["--config", str(on_postgres.path), "migrate-to-postgres", postgres_databases.CLUSTER]) == 2
    assert "already uses postgres" in capsys.readouterr().err


async def test_backup_on_postgres_is_a_pg_dump_that_restores(aiohttp_client, tmp_path):
    config = write_config(tmp_path)  # on the PostgreSQL run: a database of its own
    client = await aiohttp_client(build_app(config, scheduler=False))
    _, token = await user(client.app[NODE], "cat")
    for n in range(3):
        await post(client, token, f"kept {n}")
    backup = entativa(config.path, "backup", str(tmp_path / "backup"))
    assert backup.returncode == 0, backup.stderr
    dump = tmp_path / "backup" / "node.pgdump"
    assert dump.exists() and "node.pgdump" in backup.stdout
    restored = postgres_databases.fresh_database(empty=True)
    pg_restore = Path(postgres_databases.pg_tool("pg_restore"))
    done = subprocess.run([str(pg_restore), "--no-owner", f"--dbname={dsn(restored)}", str(dump)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    counts = await postgres_counts(restored)
    assert counts["statuses"] == 3 and counts["accounts"] == 1
    live = await postgres_counts(config.database_url)
    queues = {"index_journal"}  # the search indexer drains its journal after the dump was taken
    assert {t: n for t, n in counts.items() if t not in queues} == {t: n for t, n in live.items() if t not in queues}
