"""Stories at scale.

1. The tray: GET /api/v1/stories over HTTP for a reader following 500 accounts that all have an active
   story (one in five with a poll, one in ten for close friends the reader is on the list of); p50/p95.
2. The expiry sweep: 100,000 expired stories (10,000 with --quick), nine in ten remote with a cached media
   file each (deleted with the row), one in ten the authors' own (archived, Deletes queued through the
   outbox); seconds and the sweep's peak of Python memory (tracemalloc) and the process's peak RSS growth.
3. Sticker answers: 2,000 viewers (500 with --quick) answer one poll over HTTP, 16 at a time; answers/s.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
import secrets
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from _seed import Seeder, stamp
from harness import Result, p50_p95, served_node

from node.models import Story, snowflake
from node.services import accounts
from node.services.stories import posting

FOLLOWED = 500
TRAY_READS = 200
POS = {"x": 0.5, "y": 0.5, "width": 0.5, "height": 0.2, "rotation": 0.0}


def _token(seeder: Seeder, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    seeder.insert("oauth_tokens", [{"id": snowflake(), "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                                    "user_id": user_id, "scopes": "read write"}])
    return token


def _accounts(seeder: Seeder, count: int, prefix: str, domain: str) -> list[int]:
    ids = [snowflake() for _ in range(count)]
    seeder.insert("accounts", ({"id": aid, "username": f"{prefix}{i}", "domain": domain, "display_name": f"{prefix} {i}",
                                "uri": f"http://{domain or 'bench.test'}/users/{prefix}{i}", "fields_json": "[]"}
                               for i, aid in enumerate(ids)))
    return ids


def _story_rows(author_ids: list[int], *, now: datetime, expires: datetime, local: bool, base: str,
                close_every: int = 0, files: Path | None = None) -> tuple[list[dict], list[dict]]:
    stories, stickers = [], []
    for n, author in enumerate(author_ids):
        sid = snowflake()
        path = ""
        if files is not None:
            path = f"attachments/bench/{sid}.png"
            (files / path).write_bytes(b"\x89PNG bench")
        uri = f"{base}/users/a{n}/stories/{sid}"
        stories.append({"id": sid, "account_id": author, "local": int(local), "uri": uri, "url": uri,
                        "protocol": "entativa", "media_type": "image", "mime_type": "image/png", "file_path": path,
                        "duration": 5.0, "audience": "close_friends" if close_every and n % close_every == 0
                        else "followers", "can_reply": 1, "can_react": 1, "overlays": "[]", "expired": 0,
                        "created_at": stamp(now), "expires_at": stamp(expires)})
        if n % 5 == 0:
            stickers.append({"id": snowflake(), "story_id": sid, "uri": f"{uri}/stickers/{n}", "position": 0,
                             "kind": "poll", "placement": json.dumps(POS),
                             "data": json.dumps({"question": "?", "options": ["a", "b"]})})
    return stories, stickers


async def _tray(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, server):
            with node.db:
                reader = await accounts.create_local_account(node, "reader", "reader@bench.test", "benchmark-pw")
            seeder = Seeder(Path(tmp) / "data" / "node.sqlite3")
            authors = _accounts(seeder, FOLLOWED, "author", "peer.test")
            seeder.insert("follows", ({"id": snowflake(), "account_id": reader.account.id, "target_account_id": a,
                                       "show_reblogs": 1, "notify": 0} for a in authors))
            now = datetime.now(UTC)
            stories, stickers = _story_rows(authors, now=now - timedelta(hours=1), expires=now + timedelta(hours=23),
                                            local=False, base="http://peer.test", close_every=10)
            seeder.insert("stories", stories)
            seeder.insert("story_stickers", stickers)
            seeder.insert("story_audiences", ({"id": snowflake(), "story_id": s["id"], "account_id": reader.account.id}
                                              for s in stories if s["audience"] == "close_friends"))
            seeder.insert("story_views", ({"id": snowflake(), "story_id": s["id"], "account_id": reader.account.id,
                                           "views": 1} for s in stories[::3]))
            token = _token(seeder, reader.id)
            seeder.close()
            url = f"http://127.0.0.1:{server.port}/api/v1/stories"
            samples, cpu = [], []
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
                for i in range(TRAY_READS // (4 if quick else 1) + 5):
                    started, used = time.perf_counter(), time.process_time()
                    async with session.get(url) as response:
                        body = await response.read()
                    if i >= 5:  # the first reads warm the caches
                        samples.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - used) * 1000)
                    body = json.loads(body)
            assert len(body) == FOLLOWED, len(body)
            p50, p95 = p50_p95(samples)
    note = f"{FOLLOWED} followed accounts with an active story each, {len(stickers)} polls"
    # CPU time of this process (the node, its database thread and the client) per read: on a shared machine
    # the wall-clock figures mostly measure the wait for a core, this does not.
    cpu50, cpu95 = p50_p95(cpu)
    return [Result("stories", "tray p50", p50, "ms", note=note),
            Result("stories", "tray p95", p95, "ms", "< 50", note=note),
            Result("stories", "tray CPU per read p50", cpu50, "ms", note="node + client, process time"),
            Result("stories", "tray CPU per read p95", cpu95, "ms", note="node + client, process time")]


async def _sweep(quick: bool) -> list[Result]:
    total = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, _server):
            seeder = Seeder(Path(tmp) / "data" / "node.sqlite3")
            remote_authors = _accounts(seeder, 1000, "peer", "peer.test")
            local_authors = _accounts(seeder, 100, "local", "")
            (node.config.media_dir / "attachments" / "bench").mkdir(parents=True, exist_ok=True)
            now = datetime.now(UTC)
            remote_count, local_count = total * 9 // 10, total // 10
            rows, _ = _story_rows([remote_authors[i % 1000] for i in range(remote_count)], now=now - timedelta(hours=25),
                                  expires=now - timedelta(hours=1), local=False, base="http://peer.test",
                                  files=node.config.media_dir)
            own, _ = _story_rows([local_authors[i % 100] for i in range(local_count)], now=now - timedelta(hours=25),
                                 expires=now - timedelta(hours=1), local=True, base=node.base_url)
            seeder.insert("stories", rows)
            seeder.insert("stories", own)
            seeder.close()
            with node.db:
                before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                tracemalloc.start()
                started, used = time.perf_counter(), time.process_time()
                swept = await posting.expire(node, now)
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - used
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_rss) / 1024
                left = await Story.filter(local=False).count()
                archived = await Story.filter(local=True, expired=True).count()
            files_left = sum(1 for _ in (node.config.media_dir / "attachments" / "bench").iterdir())
            assert swept == total and left == 0 and archived == local_count and files_left == 0, (swept, left, files_left)
    note = f"{remote_count:,} remote (rows and files deleted), {local_count:,} own (archived, Deletes queued)"
    return [Result("stories", "expiry sweep", seconds, "s", note=f"{total:,} expired stories: {note}"),
            Result("stories", "expiry sweep rate", total / seconds, "stories/s"),
            Result("stories", "expiry sweep CPU", cpu_seconds, "s", note="process time, tracemalloc on"),
            Result("stories", "expiry sweep peak Python memory", peak / 1024 / 1024, "MB", note="tracemalloc"),
            Result("stories", "expiry sweep peak RSS growth", grown, "MB")]


async def _answers(quick: bool) -> list[Result]:
    viewers = 500 if quick else 2_000
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, server):
            with node.db:
                author = await accounts.create_local_account(node, "author", "author@bench.test", "benchmark-pw")
            seeder = Seeder(Path(tmp) / "data" / "node.sqlite3")
            ids = _accounts(seeder, viewers, "viewer", "")
            user_ids = [snowflake() for _ in ids]
            seeder.insert("users", ({"id": uid, "account_id": aid, "email": f"v{i}@bench.test", "password_hash": "x",
                                     "approved": 1, "locale": "en", "default_visibility": "public"}
                                    for i, (uid, aid) in enumerate(zip(user_ids, ids, strict=True))))
            seeder.insert("follows", ({"id": snowflake(), "account_id": a, "target_account_id": author.account.id,
                                       "show_reblogs": 1, "notify": 0} for a in ids))
            tokens = [_token(seeder, uid) for uid in user_ids]
            now = datetime.now(UTC)
            stories, stickers = _story_rows([author.account.id], now=now, expires=now + timedelta(hours=24), local=True,
                                            base=node.base_url)
            seeder.insert("stories", stories)
            seeder.insert("story_stickers", stickers)
            seeder.close()
            story_id, sticker_id = stories[0]["id"], stickers[0]["id"]
            url = f"http://127.0.0.1:{server.port}/api/v1/stories/{story_id}/stickers/{sticker_id}/answer"
            statuses: list[int] = []
            queue = list(enumerate(tokens))
            async with aiohttp.ClientSession() as session:
                async def worker() -> None:
                    while queue:
                        n, token = queue.pop()
                        async with session.post(url, json={"choice": n % 2},
                                                headers={"Authorization": f"Bearer {token}"}) as response:
                            await response.read()
                            statuses.append(response.status)

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(16)))
                seconds = time.perf_counter() - started
            assert statuses.count(200) == viewers, {s: statuses.count(s) for s in set(statuses)}
    return [Result("stories", "sticker answers", viewers / seconds, "answers/s",
                   note=f"{viewers:,} viewers answering one poll over HTTP, 16 at a time")]


async def run(quick: bool) -> list[Result]:
    return [*await _tray(quick), *await _sweep(quick), *await _answers(quick)]
