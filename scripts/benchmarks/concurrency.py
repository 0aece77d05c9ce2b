"""A real deployment under load: `entativa serve` as its own process (with its forked search writer), driven
over real HTTP by 50 concurrent clients, each signed in as its own user.

Phase "mixed": every client loops reading timelines (home most, then public, local and a hashtag), posting,
favouriting recent statuses and reading notifications. Phase "posting": every client only posts (each
author has 10 local followers, so every post also fans out). Memory: all the node's processes (RSS and
PSS), idle with the data set loaded and again after the run. The targets are on PSS, each shared page
counted once: the search writer is forked, so most of its RSS is the node's own pages, shared.

On a machine with two or more cores the node is pinned to one core and this load generator to another
(taskset / sched_setaffinity), so the figures are the node's, not the client's.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from _seed import Seeder, seed_timelines, stamp
from harness import (
    REPO,
    Result,
    bench_config,
    cpu_seconds,
    free_port,
    memory_mb,
    move_to_postgres,
    percentile,
    postgres,
)

from node.lifecycle import start_node, stop_node
from node.models.base import snowflake
from node.services import accounts, auth

CLIENTS = 50
FOLLOWERS = 10  # local followers of each client (the next ten clients), so posts fan out
MIX = [
    ("home", 45),
    ("public", 10),
    ("local", 5),
    ("hashtag", 10),
    ("post", 15),
    ("favourite", 10),
    ("notifications", 5),
]
TIMELINES = {
    "home": "/api/v1/timelines/home",
    "public": "/api/v1/timelines/public",
    "local": "/api/v1/timelines/public?local=true",
    "hashtag": "/api/v1/timelines/tag/tag7",
}


async def prepare(folder: Path, port: int, posts: int) -> tuple[Path, list[str]]:
    """The node's data: the timeline data set, and CLIENTS users (the first is the data set's reader)."""
    config = bench_config(folder, port=port, seeded=True)
    node = await start_node(config)
    try:
        with node.db:
            users = [
                await accounts.create_local_account(node, f"client{i}", f"c{i}@bench.test", "benchmark-pw")
                for i in range(CLIENTS)
            ]
            tokens = [await auth.issue_token(user, None, "read write follow") for user in users]
        await node.search.drain()
    finally:
        await stop_node(node)
    seeder = Seeder(Path(config.database_url.removeprefix("sqlite://")))
    ids = [user.account_id for user in users]
    authors = max(400, posts // 100)  # 2,000 at 200k posts, as in the Takahē comparison
    seed_timelines(
        seeder, config.base_url, ids[0], authors=authors, posts=posts, follows=min(300, authors // 2)
    )
    db = seeder.db
    # everyone reads the same kind of home feed as the reader (new ids just above the largest: unique, and
    # far below what the node will make seconds later)
    for other in ids[1:]:
        for table, column in (("follows", "target_account_id"), ("home_feed", "status_id")):
            names = (
                "account_id, status_id, author_id"
                if table == "home_feed"
                else ("account_id, target_account_id, show_reblogs, notify, created_at")
            )
            picked = names.replace("account_id, ", "", 1)
            db.execute(
                f"INSERT INTO {table} (id, {names}) SELECT (SELECT max(id) FROM {table}) + "
                f"ROW_NUMBER() OVER (ORDER BY {column}), ?, {picked} FROM {table} WHERE account_id = ?",
                (other, ids[0]),
            )
    db.executemany(
        "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, notify, created_at) "
        "VALUES (?, ?, ?, 1, 0, ?)",
        [
            (snowflake(), ids[(i + k) % CLIENTS], target, stamp(datetime.now(UTC)))
            for i, target in enumerate(ids)
            for k in range(1, FOLLOWERS + 1)
        ],
    )
    db.execute(
        f"UPDATE accounts SET followers_count = ? WHERE id IN ({','.join('?' * len(ids))})", [FOLLOWERS, *ids]
    )
    db.commit()
    seeder.close()
    # the seeded rows came in behind the search index's back; it is not what this measures
    (config.search_dir / "state.json").write_text(json.dumps({"synced_at": time.time()}))
    return folder / "node.toml", tokens


def pin(cpu: set[int]) -> set[int] | None:
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpu)
    return before


async def drive(
    base: str, tokens: list[str], seconds: float, mix: list[tuple[str, int]], recent: list[str]
) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    kinds = [kind for kind, _ in mix]
    weights = [weight for _, weight in mix]
    deadline = time.perf_counter() + seconds

    async def client(index: int, token: str, session: aiohttp.ClientSession) -> None:
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.perf_counter() < deadline:
            kind = rng.choices(kinds, weights)[0]
            n += 1
            t0 = time.perf_counter()
            if kind in TIMELINES:
                request = session.get(base + TIMELINES[kind], params={"limit": 20}, headers=headers)
            elif kind == "post":
                request = session.post(
                    base + "/api/v1/statuses",
                    headers=headers,
                    json={"status": f"client {index} says {n} #tag7", "visibility": "public"},
                )
            elif kind == "favourite":
                request = session.post(
                    base + f"/api/v1/statuses/{rng.choice(recent)}/favourite", headers=headers
                )
            else:
                request = session.get(base + "/api/v1/notifications", params={"limit": 20}, headers=headers)
            async with request as response:
                body = await response.read()
            if response.status != 200:
                failures[kind] += 1
                continue
            latencies[kind].append((time.perf_counter() - t0) * 1000)
            if kind == "post" and len(recent) < 5000:
                recent.append(json.loads(body)["id"])

    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(i, t, session) for i, t in enumerate(tokens)))
    if failures:
        print(f"  failed requests: {dict(failures)}", flush=True)
    return latencies


async def run(quick: bool) -> list[Result]:
    posts, seconds = (20_000, 10) if quick else (200_000, 45)
    with tempfile.TemporaryDirectory(prefix="entativa-load-") as tmp:
        port = free_port()
        config_path, tokens = await prepare(Path(tmp), port, posts)
        if not postgres():
            return await measure(config_path, tokens, port, posts, seconds, workers=1)
        await move_to_postgres(config_path)  # the same data, as `entativa migrate-to-postgres` copies it
        results = await measure(config_path, tokens, port, posts, seconds, workers=1)
        return results + await measure(config_path, tokens, port, posts, seconds, workers=2)


async def measure(config_path: Path, tokens: list[str], port: int, posts: int, seconds: float, *,
                  workers: int) -> list[Result]:
    """The two phases against `entativa serve` (`--workers 2`: two web processes on the port, PostgreSQL).
    With one process the node is pinned to a core of its own; two processes share the machine's cores with
    the load generator, so their figures are what the whole machine gives."""
    taskset = shutil.which("taskset") if (os.cpu_count() or 1) >= 2 and workers == 1 else None
    command = ([taskset, "-c", "0"] if taskset else []) + [
        sys.executable,
        "-m",
        "node",
        "--config",
        str(config_path),
        "serve",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    restore = pin({1}) if taskset else None
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):  # bounded: 30 s at most
                try:
                    async with session.get(
                        base + "/api/v1/timelines/public", params={"limit": 40}
                    ) as response:
                        recent = [s["id"] for s in await response.json()]
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the node did not start")
        await asyncio.sleep(2 if workers == 1 else 6)  # every web process up (the port answers with the first)
        idle_rss, idle_pss = memory_mb(process.pid)
        load_before = os.getloadavg()[0]
        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        mixed = await drive(base, tokens, seconds, MIX, recent)
        mixed_seconds, mixed_cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu
        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        posting = await drive(base, tokens, seconds / 2, [("post", 1)], recent)
        posting_seconds, posting_cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu
        load_after = os.getloadavg()[0]
        busy_rss, busy_pss = memory_mb(process.pid)
    finally:
        if restore is not None:
            os.sched_setaffinity(0, restore)
        process.terminate()
        await process.wait()
    reads = [ms for kind in TIMELINES for ms in mixed.get(kind, [])]
    writes = mixed.get("post", [])
    posted = posting.get("post", [])
    note = (
        f"{CLIENTS} clients, {posts:,} posts, {mixed_seconds:.0f} s mixed + {posting_seconds:.0f} s posting, "
        f"node {'pinned to cpu 0' if taskset else 'not pinned'}, load {load_before:.1f} -> {load_after:.1f}, "
        f"node CPU {mixed_cpu + posting_cpu:.1f} s"
    )
    total = sum(len(v) for v in mixed.values())
    results = [
        Result(
            "concurrency",
            "timeline requests per second",
            len(reads) / mixed_seconds,
            "req/s",
            "> 400",
            note=note,
        ),
        Result("concurrency", "timeline p50", percentile(reads, 50), "ms"),
        Result("concurrency", "timeline p95", percentile(reads, 95), "ms"),
        Result("concurrency", "timeline p99", percentile(reads, 99), "ms", "< 150"),
        Result(
            "concurrency",
            "all requests per second (mixed)",
            total / mixed_seconds,
            "req/s",
            note=", ".join(f"{k} {len(v)}" for k, v in mixed.items()),
        ),
        Result(
            "concurrency",
            "node CPU per request (mixed)",
            mixed_cpu * 1000 / max(1, total),
            "ms",
            note=f"{total / max(mixed_cpu, 1e-9):.0f} requests per node CPU-second",
        ),
        Result("concurrency", "post p50 (mixed)", percentile(writes, 50), "ms"),
        Result("concurrency", "post p99 (mixed)", percentile(writes, 99), "ms"),
        Result("concurrency", "favourite p99 (mixed)", percentile(mixed.get("favourite", []), 99), "ms"),
        Result(
            "concurrency", "notifications p99 (mixed)", percentile(mixed.get("notifications", []), 99), "ms"
        ),
        Result(
            "concurrency",
            "statuses created per second (posting only)",
            len(posted) / posting_seconds,
            "posts/s",
            "> 200",
            note=f"{FOLLOWERS} local followers each",
        ),
        Result("concurrency", "post p99 (posting only)", percentile(posted, 99), "ms"),
        Result(
            "concurrency",
            "node CPU per post (posting only)",
            posting_cpu * 1000 / max(1, len(posted)),
            "ms",
            note=f"{len(posted) / max(posting_cpu, 1e-9):.0f} posts per node CPU-second",
        ),
        Result(
            "concurrency",
            "idle memory, all node processes (PSS)",
            idle_pss,
            "MB",
            "< 120",
            note=f"RSS summed {idle_rss:.0f} MB (counts the writer's copy-on-write pages twice), "
            f"{posts:,} posts loaded",
        ),
        Result(
            "concurrency",
            "memory after the run, all node processes (PSS)",
            busy_pss,
            "MB",
            "< 250",
            note=f"RSS summed {busy_rss:.0f} MB",
        ),
    ]
    if workers > 1:
        for result in results:
            result.metric += f" ({workers} web processes)"
    return results
