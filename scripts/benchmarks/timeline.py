"""Every timeline's latency through the real HTTP API on one node that looks like months of federation:
1M statuses from 5,000 authors (a quarter local) over 20 hashtags, one in ten with media, some replies,
reblogs and non-public ones; a reader following 500, blocking and muting a few (see _seed.seed_timelines).

For each timeline: the first page (what an app loads on open) and pages further back (scrolling), 20
statuses each, signed in as the reader and signed out where the timeline is public.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import aiohttp
from _seed import Seeder, seed_timelines
from aiohttp.test_utils import TestServer
from harness import Result, move_to_postgres, p50_p95, postgres, served_node

from node.services import accounts, auth

TARGET = "< 25"
UNFOLLOWS = 20


def cases(shape: dict) -> list[tuple[str, str, dict, bool, str]]:
    """(name, path, params, signed in, how older pages are found: "status" max_id or "link")."""
    account = f"/api/v1/accounts/{shape['busy_author']}/statuses"
    out = [
        ("home", "/api/v1/timelines/home", {}, True, "feed"),
        ("bookmarks", "/api/v1/bookmarks", {}, True, "link"),
        ("favourites", "/api/v1/favourites", {}, True, "link"),
    ]
    for signed in (False, True):
        who = "signed in" if signed else "signed out"
        out += [
            (f"public {who}", "/api/v1/timelines/public", {}, signed, "status"),
            (f"local {who}", "/api/v1/timelines/public", {"local": "true"}, signed, "status"),
            (f"hashtag {who}", "/api/v1/timelines/tag/tag7", {}, signed, "status"),
            (f"account {who}", account, {}, signed, "status"),
        ]
    out += [
        ("remote signed out", "/api/v1/timelines/public", {"remote": "true"}, False, "status"),
        ("public media-only signed in", "/api/v1/timelines/public", {"only_media": "true"}, True, "status"),
        ("local media-only signed out", "/api/v1/timelines/public", {"only_media": "true", "local": "true"}, False,
         "status"),
        ("hashtag media-only signed in", "/api/v1/timelines/tag/tag7", {"only_media": "true"}, True, "status"),
        ("hashtag local signed out", "/api/v1/timelines/tag/tag7", {"local": "true"}, False, "status"),
        ("hashtag any-of signed in", "/api/v1/timelines/tag/tag7", {"any[]": "tag8"}, True, "status"),
        ("account media-only signed in", account, {"only_media": "true"}, True, "status"),
    ]
    return out


async def run(quick: bool) -> list[Result]:
    posts, authors, follows, requests = (100_000, 1_000, 100, 40) if quick else (1_000_000, 5_000, 500, 100)
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with served_node(Path(tmp), seeded=True) as (node, server):
            with node.db:
                reader = await accounts.create_local_account(node, "reader", "reader@bench.test", "benchmark-pw")
                token = await auth.issue_token(reader, None, "read write follow")
            seeder = Seeder(Path(node.config.database_url.removeprefix("sqlite://")))
            started = time.perf_counter()
            shape = seed_timelines(seeder, node.base_url, reader.account_id, authors=authors, posts=posts,
                                   follows=follows)
            seed_seconds = time.perf_counter() - started
            seeder.close()
            if not postgres():
                results = await measure(server, token, shape, requests)
        if postgres():  # the same data, copied as `entativa migrate-to-postgres` copies it
            started = time.perf_counter()
            config = await move_to_postgres(Path(tmp) / "node.toml")
            seed_seconds += time.perf_counter() - started
            async with served_node(config=config) as (_, server):
                results = await measure(server, token, shape, requests)
    results[0].note = (f"{shape['posts']:,} posts, {shape['authors']:,} authors, following {shape['follows']}, "
                       f"seeded in {seed_seconds:.0f} s")
    return results


async def measure(server: TestServer, token: str, shape: dict, requests: int) -> list[Result]:
    results: list[Result] = []
    rng = random.Random(7)
    signed_in = {"Authorization": f"Bearer {token}"}
    # older pages: a max_id with at least a page of the timeline's statuses behind it
    older_ids = {"status": shape["status_ids"][len(shape["status_ids"]) // 20:],
                 "feed": shape["feed_ids"][len(shape["feed_ids"]) // 20:]}
    async with aiohttp.ClientSession() as session:
        for name, path, params, signed, older in cases(shape):
            url = str(server.make_url(path))
            headers = signed_in if signed else {}
            async with session.get(url, params={**params, "limit": 40}, headers=headers) as response:
                assert response.status == 200, await response.text()  # warms caches once
                assert await response.json(), (name, "nothing to page through")
                next_page = response.links.get("next", {}).get("url")
            first, deeper = [], []
            for i in range(requests):
                query = {**params, "limit": 20}
                target = first
                if i % 2:
                    target = deeper
                    if older == "link":
                        query = {**query, "max_id": next_page.query["max_id"]}
                    else:
                        query["max_id"] = str(rng.choice(older_ids[older]))
                t0 = time.perf_counter()
                async with session.get(url, params=query, headers=headers) as response:
                    body = await response.json()
                target.append((time.perf_counter() - t0) * 1000)
                assert response.status == 200 and body, (name, response.status, body)
            for label, samples in (("first page", first), ("older page", deeper)):
                p50, p95 = p50_p95(samples)
                if name == "home":  # the figures earlier runs reported, under the same names
                    results.append(Result("timeline", f"home {label} p50", p50, "ms"))
                    results.append(Result("timeline", f"home {label} p95", p95, "ms", TARGET))
                else:
                    results.append(Result("timeline", f"{name} {label} p95", p95, "ms", TARGET,
                                          note=f"p50 {p50:.1f} ms"))
        # Last, as it changes the home feed: an unfollow takes the author's rows out of it before answering
        # (found through the author's statuses: home_feed has no author index, see node/models/feed.py).
        took = []
        for author in shape["followed"][-UNFOLLOWS:]:  # not the busy author the account timelines read
            url = str(server.make_url(f"/api/v1/accounts/{author}/unfollow"))
            t0 = time.perf_counter()
            async with session.post(url, headers=signed_in) as response:
                body = await response.json()
            took.append((time.perf_counter() - t0) * 1000)
            assert response.status == 200 and body["following"] is False, body
        p50, p95 = p50_p95(took)
        per_author = shape["posts"] // shape["authors"]
        results.append(Result("timeline", "unfollow, the author's rows out of the home feed, p95", p95, "ms",
                              note=f"p50 {p50:.1f} ms; {UNFOLLOWS} authors of ~{per_author} statuses, "
                                   f"a feed of {len(shape['feed_ids']):,} rows"))
    return results
