"""Notifications written per second for a burst of 10,000 likes on one post (each from its own account, all
at once, as concurrent requests would), with grouping checked: they must end as one group of 10,000. Also
the same burst through the favourite service (the like itself plus its notification), and a grouped page."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from _seed import Seeder
from harness import Result, Stopwatch, p50_p95, served_node

from node.models import Account, Favourite, Notification, Status, snowflake
from node.services import accounts, interactions, notifications, statuses
from node.services.notification_groups import Filters, group_page
from node.services.paging import Page

CONCURRENCY = 256  # requests in flight at once


async def _burst(work, items) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds, and CPU seconds of this process (every thread, the database's too): on a shared,
    loaded machine the second says what the work itself costs."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item) -> None:  # type: ignore[no-untyped-def]
        async with gate:
            await work(item)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(item) for item in items))
    return time.perf_counter() - started, time.process_time() - cpu


async def run(quick: bool) -> list[Result]:
    likes = 2_000 if quick else 10_000
    results = []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, _server):
            with node.db:
                author = (
                    await accounts.create_local_account(node, "author", "a@bench.test", "benchmark-pw")
                ).account
                post = await statuses.create_status(node, author, statuses.Draft(text="like me"))
                other = await statuses.create_status(node, author, statuses.Draft(text="like me too"))
            seeder = Seeder(Path(tmp) / "data" / "node.sqlite3")
            fan_ids = [snowflake() for _ in range(2 * likes)]
            seeder.insert(
                "accounts",
                (
                    {
                        "id": f,
                        "username": f"fan{i}",
                        "domain": "fans.test",
                        "uri": f"https://fans.test/users/fan{i}",
                        "discoverable": 1,
                    }
                    for i, f in enumerate(fan_ids)
                ),
            )
            seeder.close()
            with node.db:
                fans = list(await Account.filter(domain="fans.test").order_by("id"))
                status = await Status.get(id=post.id)
                # 1. the notification writer alone: one notify per stored like, all at once
                rows = [Favourite(id=snowflake(), account_id=f.id, status_id=status.id) for f in fans[:likes]]
                await Favourite.bulk_create(rows)
                seconds, cpu = await _burst(
                    lambda row: notifications.notify(
                        node, author, "favourite", row.account_id, status, at=row.created_at
                    ),
                    rows,
                )
                written = await Notification.filter(status_id=status.id).count()
                groups = await group_page(author, Page(None, None, None, 40), Filters())
                one_group = len(groups) == 1 and groups[0].count == likes == written
                results.append(
                    Result(
                        "notifications",
                        f"notifications written per second ({likes:,} likes, one post)",
                        written / seconds,
                        "notifications/s",
                        "> 2000",
                        note=f"{written} in {seconds:.2f} s, {CONCURRENCY} in flight; one group of "
                        f"{groups[0].count if groups else 0}: {'correct' if one_group else 'WRONG'}; "
                        f"load {os.getloadavg()[0]:.1f}",
                    )
                )
                results.append(
                    Result(
                        "notifications",
                        "notifications written per CPU-second (same burst)",
                        written / cpu,
                        "notifications/s",
                        "",
                        note=f"{cpu:.2f} CPU-s for the node's process, all threads: the cost without contention",
                    )
                )
                # 2. the whole like: POST /favourite's service (visibility check, row, counter, and every
                # favourite.created subscriber: the notification, search engagement...)
                seconds, cpu = await _burst(
                    lambda fan: interactions.favourite(node, fan, other.id), fans[likes:]
                )
                written = await Notification.filter(status_id=other.id).count()
                results.append(
                    Result(
                        "notifications",
                        f"likes with their notification per second ({likes:,})",
                        written / seconds,
                        "likes/s",
                        "",
                        note=f"{written} in {seconds:.2f} s ({written / cpu:,.0f} per CPU-second) through "
                        "interactions.favourite",
                    )
                )
                # 3. reading: the first grouped page, two groups of 10,000
                samples, cpu = [], time.process_time()
                for _ in range(30):
                    with Stopwatch() as watch:
                        page = await group_page(author, Page(None, None, None, 40), Filters())
                    samples.append(watch.seconds * 1000)
                cpu_ms = (time.process_time() - cpu) / 30 * 1000
                p50, p95 = p50_p95(samples)
                results.append(
                    Result(
                        "notifications",
                        "grouped page (GET /api/v2/notifications service), p95",
                        p95,
                        "ms",
                        "",
                        note=f"p50 {p50:.1f} ms, {cpu_ms:.1f} CPU-ms each; {len(page)} groups of "
                        f"{[g.count for g in page]}",
                    )
                )
    return results
