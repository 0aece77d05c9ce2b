"""Take trends at scale.

1. Joining a trend: 10,000 participant Takes (1,000 with --quick) on 50 loopback servers (10 actors each)
   send signed `Add`s to the originator's shared inbox; the originator fetches each Take from its server
   (signed GET), checks it references the trend, stores it, lists it and notifies the originator. Timed from
   the first Add POSTed until the originator's collection is complete.
2. Trending trends: 100,000 participations (10,000 with --quick) over 1,000 trends and the last 24 hours;
   p50/p95 of the growth ranking (service call) and of GET /api/v1/take_trends over HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from _fednode import federating_node
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Result, p50_p95, served_node

from federation.as2 import PUBLIC, build_person
from federation.hostmap import StaticHostResolver
from federation.signatures import SigningKey, generate_rsa_keypair, sign_request
from node.activitypub import inbox
from node.models import Take, TakeTrend, TrendHour, TrendParticipation
from node.models.base import snowflake
from node.services import accounts, take_trends

SERVERS = 50
ACTORS_PER_SERVER = 10
CONNECTIONS = 32
TRENDS = 1_000
RANKINGS = 200


def _peer_app(public_pem: str, trend: dict) -> web.Application:
    """Every peer server: its actors, and any Take URL answered with a Note joining `trend`."""

    async def actor(request: web.Request) -> web.Response:
        uri = f"http://{request.host}/users/{request.match_info['name']}"
        return web.json_response(build_person(uri, request.match_info["name"], public_pem),
                                 content_type="application/activity+json")

    async def take(request: web.Request) -> web.Response:
        name, number = request.match_info["name"], request.match_info["number"]
        author = f"http://{request.host}/users/{name}"
        note = {"@context": ["https://www.w3.org/ns/activitystreams", {"entativa": "https://entativa.social/ns#",
                                                                       "take": "entativa:take"}],
                "id": f"{author}/statuses/{number}", "type": "Note", "attributedTo": author, "to": [PUBLIC],
                "content": f"<p>joining #{trend['hashtag']}</p>", "published": "2026-01-01T00:00:00Z",
                "attachment": [{"type": "Document", "mediaType": "video/mp4", "url": f"http://{request.host}/v.mp4",
                                "width": 720, "height": 1280}],
                "take": {"type": "Take", "duration": "PT15S", "trend": trend}}
        return web.json_response(note, content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/users/{name}", actor)
    app.router.add_get("/users/{name}/statuses/{number}", take)
    return app


async def _joining(quick: bool) -> list[Result]:
    total = 1_000 if quick else 10_000
    private_pem, public_pem = generate_rsa_keypair()
    resolver = StaticHostResolver()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with federating_node(Path(tmp), resolver) as (node, _server):
            with node.db:
                user = await accounts.create_local_account(node, "origin", "origin@bench.test", "benchmark-pw")
                trend_row = await _start_trend(node, user.account)
                originator = f"{node.base_url}/users/origin"
            trend = {"id": trend_row.uri, "type": "Trend", "name": "Bench", "hashtag": "#bench",
                     "originTake": trend_row.origin_take_uri, "attributedTo": originator,
                     "participants": trend_row.participants_uri}
            peer = TestServer(_peer_app(public_pem, trend), host="127.0.0.1")
            await peer.start_server()
            for s in range(SERVERS):
                resolver.add(f"peer{s}.test", "127.0.0.1", peer.port)
            url = f"{node.base_url}/inbox"
            actors = [f"http://peer{s}.test/users/u{a}" for s in range(SERVERS) for a in range(ACTORS_PER_SERVER)]
            keys = {a: SigningKey.from_pem(f"{a}#main-key", private_pem) for a in actors}
            requests = []
            for i in range(total):
                actor = actors[i % len(actors)]
                body = json.dumps({"id": f"{actor}#adds/{i}", "type": "Add", "actor": actor,
                                   "object": f"{actor}/statuses/{i}", "target": trend_row.participants_uri,
                                   "to": [originator]}).encode()
                requests.append((body, sign_request("POST", url, keys[actor], body=body,
                                                    headers={"Content-Type": "application/activity+json"})))
            connector = aiohttp.TCPConnector(resolver=resolver, limit=CONNECTIONS)
            async with aiohttp.ClientSession(connector=connector) as session:
                answers: list[int] = []

                async def send(body: bytes, headers: dict[str, str]) -> None:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        answers.append(response.status)

                queue = list(reversed(requests))

                async def worker() -> None:
                    while queue:
                        await send(*queue.pop())

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
                posted = time.perf_counter() - started
                with node.db:
                    await inbox.drain(node)
                    await node.settle()
                    seconds = time.perf_counter() - started
                    listed = await TrendParticipation.filter(trend_id=trend_row.id, state="accepted").count()
                    count = (await TakeTrend.get(id=trend_row.id)).participants_count
            await peer.close()
            assert set(answers) == {202}, set(answers)
            assert listed == count == total, (listed, count, total)
            results += [
                Result("takes", f"trend joined by {total:,} Takes on {SERVERS} servers: collection complete", seconds,
                       "s", note=f"signed Add, signed GET of each Take, stored, listed, notified; "
                       f"{CONNECTIONS} connections, one process"),
                Result("takes", "of which: Adds verified and queued (202)", posted, "s"),
                Result("takes", "joins listed per second", total / seconds, "/s"),
            ]
    return results


async def _start_trend(node, account):  # type: ignore[no-untyped-def]
    """The originating Take, written directly (probing a video is not what this measures)."""
    from node.models import Status

    now = datetime.now(UTC)
    status_id = snowflake()
    status = await Status.create(id=status_id, account=account, uri=node.urls.status_uri("origin", status_id),
                                 url=node.urls.status_page("origin", status_id), text="start", content="<p>start</p>",
                                 created_at=now)
    take = await Take.create(status_id=status.id, account_id=account.id, uri=status.uri, duration=15.0,
                             created_at=now)
    plan = take_trends.TrendPlan(name="Bench", hashtag="bench")
    await take_trends.link_new_take(node, take, status, account, plan)
    return await TakeTrend.get(origin_take_id=take.id)


async def _ranking(quick: bool) -> list[Result]:
    total = 10_000 if quick else 100_000
    rng = random.Random(7)
    results: list[Result] = []
    async with served_node() as (node, server):
        with node.db:
            user = await accounts.create_local_account(node, "seed", "seed@bench.test", "benchmark-pw")
            now = datetime.now(UTC)
            trends = [TakeTrend(uri=f"{node.base_url}/t/{i}", local=True, name=f"Trend {i}", hashtag=f"t{i}",
                                origin_take_uri=f"{node.base_url}/takes/{i}", originator_id=user.account.id,
                                participants_uri=f"{node.base_url}/t/{i}/p", created_at=now) for i in range(TRENDS)]
            await TakeTrend.bulk_create(trends, batch_size=1000)
            ids = list(await TakeTrend.all().values_list("id", flat=True))
            weights = [1 / (rank + 1) for rank in range(len(ids))]  # a few big trends, a long tail
            hours: dict[tuple[int, int], int] = {}
            rows = []
            for n in range(total):
                trend_id = rng.choices(ids, weights)[0]
                at = now - timedelta(seconds=rng.uniform(0, 24 * 3600))
                rows.append(TrendParticipation(trend_id=trend_id, take_uri=f"http://p{n % 50}.test/s/{n}",
                                               actor_uri=f"http://p{n % 50}.test/u", state="accepted", verified_at=at,
                                               created_at=at))
                key = (trend_id, int(at.timestamp()) // 3600)
                hours[key] = hours.get(key, 0) + 1
            await TrendParticipation.bulk_create(rows, batch_size=2000)
            await TrendHour.bulk_create([TrendHour(trend_id=t, hour=h, joins=c) for (t, h), c in hours.items()],
                                        batch_size=2000)
            del rows
            gc.collect()
            await node.search.drain()  # the start-up index sweep is not what this measures
            service: list[float] = []
            for _ in range(RANKINGS):
                started = time.perf_counter()
                ranked = await take_trends.trending(node, limit=20)
                service.append((time.perf_counter() - started) * 1000)
            assert len(ranked) == 20
        http: list[float] = []
        async with aiohttp.ClientSession() as session:
            for _ in range(RANKINGS):
                started = time.perf_counter()
                async with session.get(str(server.make_url("/api/v1/take_trends"))) as response:
                    body = await response.json()
                http.append((time.perf_counter() - started) * 1000)
            assert len(body) == 20 and "growth" in body[0]
        s50, s95 = p50_p95(service)
        h50, h95 = p50_p95(http)
        note = f"{total:,} participations, {TRENDS:,} trends, {len(hours):,} trend-hours"
        results += [
            Result("takes", "trending trends ranking (service), p50", s50, "ms", "< 25", note),
            Result("takes", "trending trends ranking (service), p95", s95, "ms", "< 50"),
            Result("takes", "GET /api/v1/take_trends (20 with growth), p50", h50, "ms", "< 50"),
            Result("takes", "GET /api/v1/take_trends (20 with growth), p95", h95, "ms", "< 100"),
        ]
    return results


async def run(quick: bool) -> list[Result]:
    return [*await _joining(quick), *await _ranking(quick)]



