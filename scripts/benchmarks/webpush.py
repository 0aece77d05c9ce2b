"""Web Push: deliveries per second from the persisted push jobs to a loopback push service. Each push is
encrypted for its subscriber (half RFC 8291 aes128gcm, half the legacy aesgcm draft) with a fresh sender key,
carries a VAPID signature, and is a real HTTP POST answered 201."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _fednode import federating_node
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from harness import Result

from federation.hostmap import StaticHostResolver
from node.models import Account, ChannelJob, Notification, PushSubscription
from node.notify import dispatcher, webpush
from node.services import accounts, auth

SUBSCRIPTIONS = 500
NOTIFICATIONS = 8  # each goes to every subscription: 4,000 pushes


def _browser_keys() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return webpush._b64(point), webpush._b64(os.urandom(16))


async def run(quick: bool) -> list[Result]:
    subscriptions = 100 if quick else SUBSCRIPTIONS
    received = 0

    async def push_service(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(status=201)

    service_app = web.Application()
    service_app.router.add_post("/push/{n}", push_service)
    service = TestServer(service_app, host="127.0.0.1")
    await service.start_server()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        async with federating_node(Path(tmp), StaticHostResolver()) as (node, _server):
            with node.db:
                user = await accounts.create_local_account(node, "phone", "phone@bench.test", "benchmark-pw")
                sender = await accounts.create_local_account(
                    node, "friend", "friend@bench.test", "benchmark-pw"
                )
                rows = []
                for i in range(subscriptions):
                    token = await auth.issue_token(user, None, "push")
                    p256dh, secret = _browser_keys()
                    rows.append(
                        PushSubscription(
                            account_id=user.account_id,
                            credential_hash="token:" + auth.digest(token),
                            endpoint=f"http://127.0.0.1:{service.port}/push/{i}",
                            p256dh=p256dh,
                            auth=secret,
                            alerts={"mention": True},
                            standard=i % 2 == 0,
                        )
                    )
                await PushSubscription.bulk_create(rows)
                await Notification.bulk_create(
                    [
                        Notification(
                            account_id=user.account_id, from_account_id=sender.account_id, type="mention"
                        )
                        for _ in range(NOTIFICATIONS)
                    ]
                )
                later = datetime.now(UTC) + timedelta(seconds=5)
                started = time.perf_counter()
                await dispatcher.drain(node, later)
                dispatched = time.perf_counter() - started
                jobs = await ChannelJob.filter(channel="push").count()
                started = time.perf_counter()
                await webpush.drain(node, later)
                seconds = time.perf_counter() - started
                sent = await ChannelJob.filter(channel="push", state="sent").count()
                assert await Account.filter(domain="").count() == 2
            assert sent == jobs == subscriptions * NOTIFICATIONS == received, (sent, jobs, received)
            results += [
                Result(
                    "webpush",
                    f"{jobs:,} pushes (encrypted, VAPID-signed, POSTed) per second",
                    jobs / seconds,
                    "/s",
                    "",
                    f"{subscriptions} subscriptions x {NOTIFICATIONS} notifications, loopback service",
                ),
                Result(
                    "webpush",
                    f"dispatching {NOTIFICATIONS} notifications into {jobs:,} push jobs",
                    dispatched * 1000,
                    "ms",
                ),
            ]
    await service.close()
    return results
