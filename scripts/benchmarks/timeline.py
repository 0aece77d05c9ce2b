"""Home timeline latency through the real HTTP API: 1M statuses from 5,000 authors, a reader following 500.

Measures the first page (what an app loads on open) and pages further back (scrolling), 20 statuses each.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import aiohttp
from _seed import Seeder, seed_social_graph
from harness import Result, p50_p95, served_node

from node.services import accounts, auth


async def run(quick: bool) -> list[Result]:
    posts, authors, follows, requests = (100_000, 1_000, 100, 200) if quick else (1_000_000, 5_000, 500, 1_000)
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, server):
            with node.db:
                reader = await accounts.create_local_account(node, "reader", "reader@bench.test", "benchmark-pw")
                token = await auth.issue_token(reader, None, "read write follow")
            seeder = Seeder(Path(node.config.database_url.removeprefix("sqlite://")))
            started = time.perf_counter()
            shape = seed_social_graph(seeder, node.base_url, reader.account_id, authors=authors, posts=posts,
                                      follows=follows)
            seed_seconds = time.perf_counter() - started
            seeder.close()
            url = str(server.make_url("/api/v1/timelines/home"))
            headers = {"Authorization": f"Bearer {token}"}
            first, deeper = [], []
            async with aiohttp.ClientSession(headers=headers) as session:
                async with session.get(url, params={"limit": 40}) as response:  # warm caches once
                    assert response.status == 200, await response.text()
                    newest = await response.json()
                assert len(newest) == 40
                older_pages = shape["feed_ids"][40:]  # any max_id with at least 20 older statuses
                rng = random.Random(7)
                for i in range(requests):
                    params = {"limit": 20}
                    target = first
                    if i % 2:
                        params["max_id"] = str(rng.choice(older_pages))
                        target = deeper
                    t0 = time.perf_counter()
                    async with session.get(url, params=params) as response:
                        body = await response.json()
                    target.append((time.perf_counter() - t0) * 1000)
                    assert response.status == 200 and len(body) == 20, (response.status, len(body))
    p50, p95 = p50_p95(first)
    d50, d95 = p50_p95(deeper)
    note = f"{shape['posts']:,} posts, {shape['authors']:,} authors, following {shape['follows']}, seeded in {seed_seconds:.0f} s"
    return [
        Result("timeline", "home first page p50", p50, "ms", note=note),
        Result("timeline", "home first page p95", p95, "ms", "< 25"),
        Result("timeline", "home older page p50", d50, "ms"),
        Result("timeline", "home older page p95", d95, "ms", "< 25"),
    ]
