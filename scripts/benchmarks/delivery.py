"""Outbound federation: one post by an account with 10,000 remote followers on 200 servers (one shared
inbox each, all loopback), from the post to every inbox having answered; every delivery is signed."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _fednode import federating_node
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Result

from federation.hostmap import StaticHostResolver
from federation.signatures import SigningKey, generate_rsa_keypair, sign_request
from node.activitypub import delivery
from node.models import Account, Delivery, Follow
from node.services import accounts, statuses

FOLLOWERS = 10_000
PEERS = 200


async def run(quick: bool) -> list[Result]:
    received: list[str] = []

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        received.append(request.headers.get("Signature", ""))
        return web.Response(status=202)

    peer_app = web.Application()
    peer_app.router.add_post("/inbox", inbox)
    resolver = StaticHostResolver()
    peer = TestServer(peer_app, host="127.0.0.1")
    await peer.start_server()
    for i in range(PEERS):
        resolver.add(f"peer{i}.test", "127.0.0.1", peer.port)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with federating_node(Path(tmp), resolver) as (node, _server):
            with node.db:
                user = await accounts.create_local_account(node, "star", "star@bench.test", "benchmark-pw")
                remote = [Account(username=f"f{i}", domain=f"peer{i % PEERS}.test",
                                  uri=f"http://peer{i % PEERS}.test/users/f{i}",
                                  inbox_url=f"http://peer{i % PEERS}.test/users/f{i}/inbox",
                                  shared_inbox_url=f"http://peer{i % PEERS}.test/inbox") for i in range(FOLLOWERS)]
                await Account.bulk_create(remote, batch_size=1000)
                ids = await Account.exclude(domain="").values_list("id", flat=True)
                await Follow.bulk_create([Follow(account_id=i, target_account_id=user.account.id) for i in ids],
                                         batch_size=1000)
                # warm the connection pool and the key cache, as a running node has them
                await statuses.create_status(node, user.account, statuses.Draft(text="warm-up"))
                await delivery.drain(node)
                received.clear()
                started = time.perf_counter()
                await statuses.create_status(node, user.account, statuses.Draft(text="Hello, 10,000 followers"))
                queued = time.perf_counter() - started
                await delivery.drain(node)
                seconds = time.perf_counter() - started
                delivered = await Delivery.filter(state="delivered").count()
            assert len(received) == PEERS and all(received), len(received)
            assert delivered == 2 * PEERS
            _private, _ = generate_rsa_keypair()
            key = SigningKey.from_pem("http://bench.test/users/star#main-key", user.account.private_key_pem)
            sign_start = time.perf_counter()
            for i in range(PEERS):
                sign_request("POST", f"http://peer{i}.test/inbox", key, body=b"{}" * 600,
                             headers={"Content-Type": "application/activity+json"})
            signing = time.perf_counter() - sign_start
            results += [
                Result("delivery", f"post to {FOLLOWERS:,} followers on {PEERS} servers, all delivered", seconds, "s",
                       "< 2", f"{PEERS} signed POSTs, one per shared inbox"),
                Result("delivery", "of which: storing the post and queueing the deliveries", queued, "s"),
                Result("delivery", f"signing {PEERS} requests alone", signing * 1000, "ms"),
            ]
    await peer.close()
    return results
