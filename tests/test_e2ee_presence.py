"""Presence across two real nodes over HTTP: online while a Messages stream is open, last seen when the last
one closes (on the node's injected clock), shared with the people one chats with only, federated to their
servers, hidden by "nobody", and stored as nothing but the last-seen time."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from e2ee_support import E2EECluster, account_id_on, crypto_user

from node.models import InboxActivity, OutboxActivity
from plugins.e2ee import expire_messages
from plugins.e2ee.client.api import ApiError
from plugins.e2ee.models import Presence

CLUSTER = E2EECluster


async def _frame(ws, event: str, cluster=None) -> dict:
    """The next `event` on a stream, draining the federation queues while waiting (as the workers would)."""
    for _ in range(100):
        if cluster is not None:
            await cluster.settle()
        try:
            frame = await asyncio.wait_for(ws.receive_json(), timeout=0.1)
        except TimeoutError:
            continue
        if frame["event"] == event:
            return json.loads(frame["payload"])
    raise AssertionError(f"no {event} frame")


async def test_presence_is_shared_with_partners_across_nodes_and_only_last_seen_is_stored(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    _, dave_token = await crypto_user(a, "dave")  # on alice's node, never chatted with bob
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    dave = await cluster.device(a, dave_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.send_text(bob_on_a, "hi")
    await cluster.settle()
    alice_on_b = (await bob.receive())[0].sender_account_id
    await cluster.settle()

    async with alice.api.stream() as alice_ws:
        assert (await alice.api.call("GET", "/api/v1/crypto/presence", params={"id[]": bob_on_a}))[0]["online"] is False
        async with bob.api.stream():
            assert (await _frame(alice_ws, "e2ee.presence", cluster)) == {
                "account_id": bob_on_a, "shared": True, "online": True, "last_seen_at": None}
            seen = await alice.api.call("GET", "/api/v1/crypto/presence", params={"id[]": bob_on_a})
            assert seen == [{"account_id": bob_on_a, "shared": True, "online": True, "last_seen_at": None}]
            # dave does not chat with bob: nothing is shared with him
            assert (await dave.api.call("GET", "/api/v1/crypto/presence", params={"id[]": bob_on_a}))[0] == {
                "account_id": bob_on_a, "shared": False, "online": None, "last_seen_at": None}
            before = b.node.clock.now()
        # the server side of bob's socket closes a moment after the client's; its node then tells alice's
        offline = await _frame(alice_ws, "e2ee.presence", cluster)
        last_seen = datetime.fromisoformat(offline["last_seen_at"].replace("Z", "+00:00"))
        assert offline["online"] is False and before <= last_seen <= b.node.clock.now()
        with b.db():  # the one stored fact
            assert (await Presence.get(account_id=(await bob.api.me())["id"])).last_seen_at == last_seen

    # bob turns presence off: alice's node hears it and forgets his last-seen time
    assert (await bob.api.call("PUT", "/api/v1/crypto/presence/settings", json={"share": "nobody"})) == {"share": "nobody"}
    await cluster.settle()
    assert (await alice.api.call("GET", "/api/v1/crypto/presence", params={"id[]": bob_on_a}))[0]["shared"] is False
    assert (await bob.api.call("GET", "/api/v1/crypto/presence/settings")) == {"share": "nobody"}
    # alice still shares with bob
    got = await bob.api.call("GET", "/api/v1/crypto/presence", params={"id[]": alice_on_b})
    assert got[0]["shared"] is True and got[0]["online"] is False

    # the Presence activities' stored copies go once expired: only the Presence rows stay
    with a.db():
        assert await OutboxActivity.filter(uri__contains="/e2ee/presence/").count() > 0
    for fed in (a, b):
        fed.node.clock.advance(timedelta(hours=3))
        with fed.db():
            await expire_messages(fed.node.plugins.api("e2ee"))
    with a.db():
        assert await OutboxActivity.filter(uri__contains="/e2ee/presence/").count() == 0
        assert await InboxActivity.filter(type="Presence").count() == 0
    with b.db():
        assert await OutboxActivity.filter(uri__contains="/e2ee/presence/").count() == 0
        assert await InboxActivity.filter(type="Presence").count() == 0


async def test_bad_presence_requests_are_refused(cluster, crypto_pair):
    a, _, alice_token, _ = crypto_pair
    alice = await cluster.device(a, alice_token)
    for body, status in (({"share": "everyone"}, 422), ({}, 422)):
        try:
            await alice.api.call("PUT", "/api/v1/crypto/presence/settings", json=body)
        except ApiError as exc:
            assert exc.status in (status, 400), exc
        else:
            raise AssertionError(f"{body} was accepted")
    try:
        await alice.api.call("GET", "/api/v1/crypto/presence", params={"id[]": "x"})
    except ApiError as exc:
        assert exc.status == 400
    with a.db():
        assert await Presence.all().count() == 0
