"""Inbound federation: signed Create{Note} activities from 50 remote actors POSTed to the shared inbox by
32 concurrent connections (signature verified with a cached key, raw row stored, 202), then applied from
the queue (a status stored per activity). Client and server share one process and its cores."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import aiohttp
from _fednode import federating_node
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Result

from federation.as2 import PUBLIC, build_person
from federation.hostmap import StaticHostResolver
from federation.signatures import SigningKey, generate_rsa_keypair, sign_request
from node.activitypub import inbox
from node.models import Status

ACTORS = 50
CONNECTIONS = 32


async def run(quick: bool) -> list[Result]:
    total = 2_000 if quick else 10_000
    private_pem, public_pem = generate_rsa_keypair()
    actors = [f"http://peer.test/users/u{i}" for i in range(ACTORS)]
    docs = {a: build_person(a, a.rsplit("/", 1)[-1], public_pem) for a in actors}

    async def serve_actor(request: web.Request) -> web.Response:
        return web.json_response(docs[f"http://peer.test{request.path}"], content_type="application/activity+json")

    peer_app = web.Application()
    peer_app.router.add_get("/users/{name}", serve_actor)
    resolver = StaticHostResolver()
    peer = TestServer(peer_app, host="127.0.0.1")
    await peer.start_server()
    resolver.add("peer.test", "127.0.0.1", peer.port)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with federating_node(Path(tmp), resolver) as (node, server):
            url = "http://bench.test/inbox"
            keys = [SigningKey.from_pem(f"{a}#main-key", private_pem) for a in actors]
            requests = []
            sign_start = time.perf_counter()
            for i in range(total):
                actor = actors[i % ACTORS]
                note = {"id": f"{actor}/statuses/{i}", "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                        "content": f"<p>hello number {i} #bench</p>", "published": "2024-01-01T00:00:00Z"}
                body = json.dumps({"id": f"{note['id']}/activity", "type": "Create", "actor": actor, "object": note,
                                   "to": [PUBLIC]}).encode()
                headers = sign_request("POST", url, keys[i % ACTORS], body=body,
                                       headers={"Content-Type": "application/activity+json"})
                requests.append((body, headers))
            sign_seconds = time.perf_counter() - sign_start
            connector = aiohttp.TCPConnector(resolver=resolver, limit=CONNECTIONS)
            async with aiohttp.ClientSession(connector=connector) as session:
                async def send(body: bytes, headers: dict[str, str]) -> int:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        return response.status

                # Warm the key cache (one fetch per actor), as a running node has it warm.
                warm = await asyncio.gather(*(send(*requests[i]) for i in range(ACTORS)))
                assert set(warm) == {202}, warm
                queue = list(requests[ACTORS:])
                statuses: list[int] = []

                async def worker() -> None:
                    while queue:
                        statuses.append(await send(*queue.pop()))

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
                accept_seconds = time.perf_counter() - started
            assert set(statuses) == {202}, set(statuses)
            with node.db:
                started = time.perf_counter()
                applied = await inbox.drain(node)
                apply_seconds = time.perf_counter() - started
                stored = await Status.filter(local=False).count()
            assert stored == total, (stored, total)
            accepted = total - ACTORS
            results += [
                Result("inbox", "signed POSTs verified and stored (202)", accepted / accept_seconds, "/s", "> 1000",
                       f"{CONNECTIONS} connections, client in the same process"),
                Result("inbox", "stored activities applied (Create{Note} -> status)", applied / apply_seconds, "/s",
                       "> 1000"),
                Result("inbox", "end to end: verified, stored and applied", accepted / (accept_seconds + apply_seconds
                       * accepted / applied), "/s", "> 1000"),
                Result("inbox", "signing the requests (client side, for reference)", total / sign_seconds, "/s"),
            ]
    await peer.close()
    return results
