"""The home timeline's latency with a reader who, like a heavy user, has 20 active filters and 10 lists,
against a twin reader with none (same follows, same home feed), on the timeline benchmark's data set (1M
statuses; 100k with --quick). The two readers' requests alternate, page for page, so whatever else the
machine is doing weighs on both figures alike.

Filters: 20 filters with the home context, 3 keywords each (whole word and not), 2 of them hiding and 3
warning on words that are in about a quarter of the posts (hidden ones make the server read further to fill
a page), the rest on words that never appear, some expiring in a week. Lists: 10 of 20 followed accounts
each, two exclusive (their members' posts leave the home timeline). All made through the API. Target: the
filtered p95 within 1.5x of the unfiltered one.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import aiohttp
from _seed import Seeder, seed_timelines
from harness import Result, p50_p95, served_node

from node.models import Follow, snowflake
from node.services import accounts, auth

FILTERS, LISTS, MEMBERS = 20, 10, 20


async def _pages(
    session: aiohttp.ClientSession,
    url: str,
    readers: list[dict],
    older: list[int],
    requests: int,
    rng: random.Random,
) -> list[tuple[list[float], list[float]]]:
    """(first pages, older pages) latencies for each reader, asking the same pages in turn."""
    out: list[tuple[list[float], list[float]]] = [([], []) for _ in readers]
    for i in range(requests):
        query: dict = {"limit": 20}
        if i % 2:
            query["max_id"] = str(rng.choice(older))
        for headers, (first, deeper) in zip(readers, out, strict=True):
            t0 = time.perf_counter()
            async with session.get(url, params=query, headers=headers) as response:
                body = await response.json()
            (deeper if i % 2 else first).append((time.perf_counter() - t0) * 1000)
            assert response.status == 200 and body, (response.status, body)
    return out


def _twin(seeder: Seeder, reader_id: int, twin_id: int) -> None:
    """Give `twin_id` the reader's follows, blocks, mutes and materialised home feed."""
    for table, key in (
        ("follows", "target_account_id"),
        ("blocks", "target_account_id"),
        ("mutes", "target_account_id"),
        ("home_feed", "status_id"),
    ):
        names = [c[0] for c in seeder.columns(table) if c[0] not in ("id", "account_id")]
        rows = seeder.db.execute(
            f"SELECT {', '.join(names)} FROM {table} WHERE account_id = ? ORDER BY {key}", (reader_id,)
        ).fetchall()
        seeder.insert(
            table,
            ({"id": snowflake(), "account_id": twin_id, **dict(zip(names, r, strict=True))} for r in rows),
        )
    seeder.db.commit()


async def _make_filters_and_lists(
    session: aiohttp.ClientSession, server, headers: dict, followed: list[int]
) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    for n in range(FILTERS):
        if n < 2:
            action, words = "hide", [f"tag{n}", f"tag{n + 10}", "nevermentioned"]  # ~10% of posts hidden
        elif n < 5:
            action, words = "warn", [f"tag{n}", f"spoiler{n}", "finale"]
        else:
            action, words = rng.choice(["warn", "hide", "blur"]), [f"word{n}a", f"word{n}b", f"phrase {n}"]
        form = [
            ("title", f"filter {n}"),
            ("context[]", "home"),
            ("context[]", "notifications"),
            ("filter_action", action),
        ]
        if n % 4 == 3:
            form.append(("expires_in", str(7 * 86400)))
        for k, word in enumerate(words):
            form += [
                (f"keywords_attributes[{k}][keyword]", word),
                (f"keywords_attributes[{k}][whole_word]", "true" if k % 2 == 0 else "false"),
            ]
        async with session.post(server.make_url("/api/v2/filters"), data=form, headers=headers) as response:
            assert response.status == 200, await response.text()
    exclusive_members = 0
    for n in range(LISTS):
        exclusive = n < 2
        async with session.post(
            server.make_url("/api/v1/lists"),
            headers=headers,
            data={"title": f"list {n}", "exclusive": "true" if exclusive else "false"},
        ) as response:
            assert response.status == 200, await response.text()
            list_id = (await response.json())["id"]
        members = followed[n * MEMBERS : (n + 1) * MEMBERS]
        exclusive_members += len(members) if exclusive else 0
        async with session.post(
            server.make_url(f"/api/v1/lists/{list_id}/accounts"),
            headers=headers,
            data=[("account_ids[]", str(a)) for a in members],
        ) as response:
            assert response.status == 200, await response.text()
    return exclusive_members


async def run(quick: bool) -> list[Result]:
    posts, authors, follows, requests = (100_000, 1_000, 300, 60) if quick else (1_000_000, 5_000, 500, 100)
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp)) as (node, server):
            readers, tokens = [], []
            with node.db:
                for name in ("plain", "heavy"):
                    user = await accounts.create_local_account(
                        node, name, f"{name}@bench.test", "benchmark-pw"
                    )
                    readers.append(user)
                    tokens.append(await auth.issue_token(user, None, "read write follow"))
            plain_reader, heavy_reader = readers
            seeder = Seeder(Path(node.config.database_url.removeprefix("sqlite://")))
            shape = seed_timelines(
                seeder, node.base_url, plain_reader.account_id, authors=authors, posts=posts, follows=follows
            )
            _twin(seeder, plain_reader.account_id, heavy_reader.account_id)
            seeder.close()
            with node.db:
                followed = list(
                    await Follow.filter(account_id=heavy_reader.account_id)
                    .order_by("id")
                    .values_list("target_account_id", flat=True)
                )
            headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
            older = shape["feed_ids"][len(shape["feed_ids"]) // 20 :]
            url = str(server.make_url("/api/v1/timelines/home"))
            async with aiohttp.ClientSession() as session:
                exclusive = await _make_filters_and_lists(session, server, headers[1], followed)
                for h in headers:  # warms caches once
                    async with session.get(url, params={"limit": 40}, headers=h) as response:
                        body = await response.json()
                        assert response.status == 200 and body
                assert any(s.get("filtered") for s in body), "no filter matched"
                plain, heavy = await _pages(session, url, headers, older, requests, random.Random(7))
    results = []
    for n, page in enumerate(("first page", "older page")):
        plain_p50, plain_p95 = p50_p95(plain[n])
        p50, p95 = p50_p95(heavy[n])
        results.append(
            Result(
                "home_filters",
                f"home {page} p95, no filters or lists",
                plain_p95,
                "ms",
                note=f"p50 {plain_p50:.1f} ms",
            )
        )
        results.append(
            Result(
                "home_filters",
                f"home {page} p95, {FILTERS} filters + {LISTS} lists",
                p95,
                "ms",
                f"< {1.5 * plain_p95:.1f}",
                note=f"p50 {p50:.1f} ms, {p95 / plain_p95:.2f}x",
            )
        )
    results[0].note += (
        f"; {shape['posts']:,} posts, following {shape['follows']}, {exclusive} of them in exclusive lists"
    )
    return results
