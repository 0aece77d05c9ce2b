"""Statuses created per second through POST /api/v1/statuses, by 8 concurrent clients, each author having
50 local followers (so every post also fans out to 50 home feeds)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from harness import Result, served_node

from node.models import Follow
from node.services import accounts, auth

CLIENTS = 8
FOLLOWERS = 50


async def run(quick: bool) -> list[Result]:
    total = 1_000 if quick else 4_000
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, server):
            tokens = []
            with node.db:
                posters = []
                for i in range(CLIENTS):
                    user = await accounts.create_local_account(node, f"poster{i}", f"p{i}@bench.test", "benchmark-pw")
                    posters.append(user.account)
                    tokens.append(await auth.issue_token(user, None, "read write"))
                for i in range(FOLLOWERS):
                    follower = await accounts.create_local_account(node, f"fan{i}", f"f{i}@bench.test", "benchmark-pw")
                    await Follow.bulk_create([Follow(account_id=follower.account_id, target_account_id=p.id)
                                              for p in posters])
            url = str(server.make_url("/api/v1/statuses"))

            async def client(token: str, count: int) -> int:
                ok = 0
                async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
                    for n in range(count):
                        async with session.post(url, json={"status": f"Benchmark post {n} #entativa @poster0",
                                                           "visibility": "public"}) as response:
                            await response.read()
                            ok += response.status == 200
                return ok

            started, cpu = time.perf_counter(), time.process_time()
            done = await asyncio.gather(*(client(t, total // CLIENTS) for t in tokens))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    created = sum(done)
    return [Result("posting", "statuses created per second", created / seconds, "posts/s", "> 500",
                   note=f"{created} of {total} ok in {seconds:.1f} s, {CLIENTS} clients, {FOLLOWERS} followers each"),
            # what a post costs whatever else shares the cores (wall-clock figures above are CPU-starved then)
            Result("posting", "process CPU per post (node and its clients)", cpu * 1000 / max(1, created), "ms",
                   note=f"{created / max(cpu, 1e-9):.0f} posts per CPU-second, all threads of this process")]
