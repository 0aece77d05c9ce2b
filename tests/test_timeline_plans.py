"""Timelines on a grown node: the node keeps SQLite's planner statistics itself, every timeline's queries read
about a page of rows (no sort of every status, no list of every attachment or tagged status), and the
rewritten tag and media paths still never show what blocks, mutes and visibility hide."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import postgres_databases
import pytest
from fixtures.social import call, follow, png_bytes, post, relate, upload, user
from support import create_user

from node import db
from node.jobs import periodic_jobs
from node.models.base import snowflake
from node.search.indexer import _changed_since as catch_up

# SQLite's planner and its statistics; PostgreSQL keeps its own (autovacuum's ANALYZE).
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason="SQLite's query plans")

ROWS = 6_000  # enough for the statistics to say "most statuses are not reblogs, replies or media"


def database_path(node: Any) -> str:
    return node.config.database_url.removeprefix("sqlite://")


def grow(node: Any, author_id: int, tag_name: str, follower_id: int | None = None) -> None:
    """Old statuses straight into the file (the API would take minutes): 5% reblogs, 10% replies, 10% with
    media, all tagged `tag_name`, one in ten followers-only; in the follower's home feed if one is given."""
    db = sqlite3.connect(database_path(node))
    tag_id = db.execute("SELECT id FROM tags WHERE name = ?", (tag_name,)).fetchone()[0]
    start = datetime.now(UTC) - timedelta(days=60)
    statuses, tags, media = [], [], []
    ids: list[int] = []
    for n in range(ROWS):
        sid = snowflake(start + timedelta(seconds=n))
        reblog = ids[-1] if n % 20 == 0 and ids else None
        reply = ids[-1] if n % 10 == 1 and ids else None
        statuses.append(
            (
                sid,
                author_id,
                1,
                "private" if n % 10 == 5 else "public",
                reblog,
                reply,
                author_id + 1 if reply else None,
                f"{sid}",
                str(start),
            )
        )
        if reblog is None:
            tags.append((snowflake(), sid, tag_id))
            if n % 10 == 3:
                media.append((snowflake(), sid, author_id))
        ids.append(sid)
    db.executemany(
        "INSERT INTO statuses (id, account_id, local, visibility, reblog_of_id, in_reply_to_id, "
        "in_reply_to_account_id, uri, created_at, text, content, spoiler_text, sensitive, "
        "replies_count, reblogs_count, favourites_count) VALUES (?,?,?,?,?,?,?,?,?,'','','',0,0,0,0)",
        statuses,
    )
    db.executemany("INSERT INTO status_tags (id, status_id, tag_id) VALUES (?,?,?)", tags)
    db.executemany(
        "INSERT INTO media_attachments (id, status_id, account_id, type, mime_type, file_path, "
        "preview_path, remote_url, file_size, description, focus_x, focus_y, position, created_at, "
        "remote_state, fetch_attempts, fetch_error) "
        "VALUES (?,?,?,'image','image/png','','','https://cdn.test/x.png',0,'',0,0,0,'2026-01-01','',0,'')",
        media,
    )
    if follower_id is not None:
        db.executemany(
            "INSERT INTO home_feed (id, account_id, status_id, author_id) VALUES (?,?,?,?)",
            [(snowflake(), follower_id, row[0], author_id) for row in statuses],
        )
    db.commit()
    db.close()


async def run_statistics_job(node: Any) -> None:
    job = next(job for name, job, _ in periodic_jobs() if name == "refresh query planner statistics")
    with node.db:
        await job(node)


@asynccontextmanager
async def traced(node: Any) -> AsyncIterator[list[str]]:
    """Every statement the node's connections run, with its values filled in: the ORM's (set on its own
    thread, through a write) and the one node.db.read reads on."""
    statements: list[str] = []
    with node.db:
        for trace in (db.read, db.write):
            await trace(lambda connection: connection.set_trace_callback(statements.append))
    try:
        yield statements
    finally:
        with node.db:
            for trace in (db.read, db.write):
                await trace(lambda connection: connection.set_trace_callback(None))


BIG = ("media_attachments", "status_tags", "statuses", "home_feed", "favourites", "bookmarks")


def wasteful(plan: str, statement: str) -> str | None:
    """Why a plan reads far more than a page, or None."""
    if "USE TEMP B-TREE FOR ORDER BY" in plan and " LIMIT " in statement:
        return "sorts every matching row to find a page"
    lines = plan.split(" | ")
    for previous, line in zip(["", *lines], lines, strict=False):
        words = line.split()
        if words[0] == "SCAN" and words[1] in BIG and "sqlite_autoindex_statuses_1" not in line:
            return f"reads all of {words[1]}"
        if previous.startswith("LIST SUBQUERY") and words[1] in BIG:
            return f"lists every matching row of {words[1]} before reading the first status"
    return None


async def test_the_node_keeps_planner_statistics_current(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    await post(node_client, alice, "#grown")
    grow(node, int(alice_id), "grown")
    db = sqlite3.connect(database_path(node))
    before = dict(db.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'statuses'").fetchall())
    await run_statistics_job(node)
    after = dict(db.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'statuses'").fetchall())
    db.close()
    assert int(after["sqlite_autoindex_statuses_1"].split()[0]) > ROWS / 2  # estimated from a sample
    assert after != before


async def test_every_timeline_reads_a_page_not_the_table(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    await follow(node_client, bob, alice_id)
    newest = await post(node_client, alice, "#grown newest")
    _, media = await upload(node_client, alice, png_bytes(), "p.png", "image/png")
    await post(node_client, alice, "#grown pictured", media_ids=[media["id"]])
    await call(node_client, "POST", f"/api/v1/statuses/{newest['id']}/favourite", bob)
    await call(node_client, "POST", f"/api/v1/statuses/{newest['id']}/bookmark", bob)
    grow(node, int(alice_id), "grown", follower_id=int(bob_id))
    await run_statistics_job(node)
    account = f"/api/v1/accounts/{alice_id}/statuses"
    paths = [
        "/api/v1/timelines/public",
        "/api/v1/timelines/public?local=true",
        "/api/v1/timelines/public?remote=true",
        "/api/v1/timelines/public?only_media=true",
        f"/api/v1/timelines/public?max_id={newest['id']}",
        "/api/v1/timelines/tag/grown",
        "/api/v1/timelines/tag/grown?only_media=true",
        "/api/v1/timelines/tag/grown?local=true",
        "/api/v1/timelines/tag/grown?any[]=other",
        f"/api/v1/timelines/tag/grown?max_id={newest['id']}",
        account,
        f"{account}?only_media=true",
        f"{account}?exclude_replies=true",
        f"{account}?tagged=grown",
        "/api/v1/timelines/home",
        "/api/v1/bookmarks",
        "/api/v1/favourites",
    ]
    check = sqlite3.connect(database_path(node))
    for path in paths:
        for token in (None, bob):
            if token is None and not path.startswith(
                ("/api/v1/timelines/public", "/api/v1/timelines/tag", account)
            ):
                continue
            async with traced(node) as statements:
                code, body = await call(
                    node_client, "GET", path + ("&" if "?" in path else "?") + "limit=20", token
                )
            assert code == 200 and (body or "remote=true" in path), (path, body)
            for statement in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                plan = " | ".join(row[3] for row in check.execute("EXPLAIN QUERY PLAN " + statement))
                assert wasteful(plan, statement) is None, (path, wasteful(plan, statement), plan, statement)
    check.close()


async def ids_of(client: Any, path: str, token: str | None = None) -> list[str]:
    code, body = await call(client, "GET", path, token)
    assert code == 200, body
    return [s["id"] for s in body]


async def test_tag_and_media_timelines_hide_what_the_viewer_may_not_see(node_client, node_of):
    node = node_of(node_client)
    _, viewer = await user(node, "viewer")
    blocked_id, blocked = await user(node, "blocked")
    blocker_id, blocker = await user(node, "blocker")
    muted_id, muted = await user(node, "muted")
    _, friend = await user(node, "friend")
    _, media = await upload(node_client, friend, png_bytes(), "p.png", "image/png")
    shown = await post(node_client, friend, "#pics #cats shown", media_ids=[media["id"]])
    for token in (blocked, blocker, muted):
        _, theirs = await upload(node_client, token, png_bytes(), "p.png", "image/png")
        await post(node_client, token, "#pics #cats hidden", media_ids=[theirs["id"]])
    _, private_media = await upload(node_client, friend, png_bytes(), "p.png", "image/png")
    await post(node_client, friend, "#pics private", media_ids=[private_media["id"]], visibility="private")
    await relate(node_client, viewer, blocked_id, "block")
    await relate(
        node_client,
        blocker,
        (await call(node_client, "GET", "/api/v1/accounts/verify_credentials", viewer))[1]["id"],
        "block",
    )
    await relate(node_client, viewer, muted_id, "mute")
    for path in (
        "/api/v1/timelines/tag/pics",
        "/api/v1/timelines/tag/pics?only_media=true",
        "/api/v1/timelines/tag/cats?any[]=pics",
        "/api/v1/timelines/tag/pics?all[]=cats",
        "/api/v1/timelines/public?only_media=true",
        "/api/v1/timelines/public?only_media=true&local=true",
    ):
        assert await ids_of(node_client, path, viewer) == [shown["id"]], path
    signed_out = await ids_of(node_client, "/api/v1/timelines/tag/pics?only_media=true")
    assert shown["id"] in signed_out and len(signed_out) == 4  # everyone's public ones, not the private one
    assert await ids_of(node_client, "/api/v1/timelines/tag/pics?none[]=cats") == []
    assert blocker_id and muted_id


async def test_any_of_tags_pages_as_one_timeline(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    made = []
    for i in range(6):
        made.append((await post(node_client, alice, f"#{'red' if i % 2 else 'blue'} number {i}"))["id"])
    newest_first = list(reversed(made))
    base = "/api/v1/timelines/tag/red?any[]=blue"
    assert await ids_of(node_client, base) == newest_first
    assert await ids_of(node_client, f"{base}&limit=3") == newest_first[:3]
    assert await ids_of(node_client, f"{base}&limit=3&max_id={newest_first[2]}") == newest_first[3:]
    assert await ids_of(node_client, f"{base}&limit=2&min_id={made[1]}") == [made[3], made[2]]
    assert await ids_of(node_client, f"{base}&since_id={made[3]}") == [made[5], made[4]]


async def test_the_search_index_catch_up_at_start_reads_no_whole_table(node_client, node_of):
    """At every start the search index asks for statuses made or edited since its last commit; it read every
    status (and filled the page cache: ~25 MB of an idle node with 200k posts) before edited_at was indexed."""
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    edited = await post(node_client, alice, "#grown before")
    grow(node, int(alice_id), "grown")
    code, _ = await call(node_client, "PUT", f"/api/v1/statuses/{edited['id']}", alice, json={"status": "#grown after"})
    assert code == 200
    await run_statistics_job(node)
    check = sqlite3.connect(database_path(node))
    async with traced(node) as statements:
        with node.db:
            changed = await catch_up("statuses", time.time() - 3600)
    assert int(edited["id"]) in changed
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert any("edited_at" in s for s in reads)
    for statement in reads:
        plan = " | ".join(row[3] for row in check.execute("EXPLAIN QUERY PLAN " + statement))
        assert wasteful(plan, statement) is None, (wasteful(plan, statement), plan, statement)
    check.close()


async def test_an_unfollow_and_a_suspension_take_the_authors_rows_out_by_index(node_client, node_of):
    """home_feed has no (account_id, author_id) index (posting paid a written page per fanned-out row for
    it): an unfollow and a suspension find the author's rows through their statuses, each row by its whole
    key (not by reading the reader's feed, or the table, to look at each row's author), and leave every
    other author's rows."""
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    carol_id, carol = await user(node, "carol")
    dave_id, dave = await user(node, "dave")
    bob_id, bob = await user(node, "bob")
    _, root = await create_user(node, "root", admin=True, scopes="read admin:read admin:write")
    for author_id in (alice_id, carol_id, dave_id):
        await follow(node_client, bob, author_id)
    await post(node_client, alice, "#grown")
    await post(node_client, carol, "#kept")
    await post(node_client, dave, "dave stays")
    grow(node, int(alice_id), "grown", follower_id=int(bob_id))  # reblogs among them: alice's rows too
    grow(node, int(carol_id), "kept", follower_id=int(bob_id))
    await run_statistics_job(node)
    check = sqlite3.connect(database_path(node))

    def feed_rows() -> dict[int, int]:
        return dict(check.execute("SELECT s.account_id, count(*) FROM home_feed f JOIN statuses s ON s.id = f.status_id "
                                  "WHERE f.account_id = ? GROUP BY s.account_id", (int(bob_id),)).fetchall())

    def assert_found_by_key(statements: list[str], whole_key: str) -> None:
        deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE") and "home_feed" in s]
        assert deletes
        for statement in deletes:
            plan = " | ".join(row[3] for row in check.execute("EXPLAIN QUERY PLAN " + statement))
            assert "SCAN home_feed" not in plan and "SCAN statuses" not in plan, (plan, statement)
            assert "SEARCH home_feed USING INDEX" in plan and whole_key in plan, (plan, statement)

    async with traced(node) as statements:
        await relate(node_client, bob, alice_id, "unfollow")
    assert_found_by_key(statements, "(account_id=? AND status_id=?)")
    assert feed_rows() == {int(carol_id): ROWS + 1, int(dave_id): 1}
    async with traced(node) as statements:
        code, body = await call(node_client, "POST", f"/api/v1/admin/accounts/{carol_id}/action", root,
                                json={"type": "suspend"})
    assert code == 200, body
    assert_found_by_key(statements, "(status_id=?)")
    assert feed_rows() == {int(dave_id): 1}
    check.close()
