"""Web Push end to end: Mastodon's /api/v1/push/subscription, the dispatcher's persisted jobs, and a real
receiver on loopback that checks the VAPID signature and decrypts both encodings (RFC 8291 aes128gcm and the
legacy aesgcm draft, the latter through Mastodon.py's own decrypt). Time is passed in, never slept on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon
from support import bearer, create_user

from node.api.keys import NODE
from node.app import build_app
from node.models import ChannelJob, Notification, PushSubscription
from node.notify import dispatcher, webpush
from node.services import auth


def later(seconds: float = 5) -> datetime:
    """A moment past the dispatcher's settle window, so the notifications just made are read."""
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def vapid_key(client) -> str:  # type: ignore[no-untyped-def]
    instance = await (await client.get("/api/v2/instance")).json()
    return instance["configuration"]["vapid"]["public_key"]


async def served(aiohttp_client, make_config, **sections):  # type: ignore[no-untyped-def]
    sections.setdefault("federation", {"enabled": False, "allow_private_addresses": True})
    client = await aiohttp_client(build_app(make_config(**sections), scheduler=False))
    return client, client.app[NODE]


async def subscribe(client, token, receiver, name, *, standard=True, alerts=None, policy=None):  # type: ignore[no-untyped-def]
    browser = receiver.browser(name)
    body = {
        "subscription": {
            "endpoint": receiver.endpoint(name),
            "standard": standard,
            "keys": {"p256dh": browser.p256dh, "auth": webpush._b64(browser.auth)},
        },
        "data": {"alerts": alerts or {"mention": True, "favourite": True, "follow": True}},
    }
    if policy:
        body["data"]["policy"] = policy
    resp = await client.post("/api/v1/push/subscription", json=body, headers=bearer(token))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def deliver(node, now=None):  # type: ignore[no-untyped-def]
    await node.settle()
    with node.db:
        await dispatcher.drain(node, now or later())
        return await webpush.drain(node, now or later())


async def test_push_in_both_encodings_signed_with_the_instance_vapid_key(
    aiohttp_client, make_config, push_receiver
):
    client, node = await served(aiohttp_client, make_config)
    alice, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    with node.db:
        legacy_token = await auth.issue_token(alice, None, "read write push")
    instance = await (await client.get("/api/v2/instance")).json()
    push_receiver.vapid_public = instance["configuration"]["vapid"]["public_key"]
    assert len(webpush._b64decode("k", push_receiver.vapid_public)) == 65
    v1 = await (await client.get("/api/v1/instance")).json()
    assert v1["configuration"]["vapid"]["public_key"] == push_receiver.vapid_public

    standard = await subscribe(client, token, push_receiver, "phone", standard=True)
    legacy = await subscribe(client, legacy_token, push_receiver, "laptop", standard=False)
    assert standard["standard"] is True and legacy["standard"] is False
    assert standard["server_key"] == push_receiver.vapid_public
    assert standard["alerts"]["mention"] is True and standard["alerts"]["reblog"] is False
    assert standard["policy"] == "all"

    resp = await client.post(
        "/api/v1/statuses", json={"status": "hello @alice, lunch?"}, headers=bearer(bob_token)
    )
    assert resp.status == 200
    assert await deliver(node) == 2

    assert push_receiver.rejected == []
    by_browser = {r.browser: r for r in push_receiver.received}
    assert by_browser["phone"].encoding == "aes128gcm" and by_browser["laptop"].encoding == "aesgcm"
    assert by_browser["phone"].headers["Authorization"].startswith("vapid t=")
    assert by_browser["laptop"].headers["Authorization"].startswith("WebPush ")
    notes = await (await client.get("/api/v1/notifications", headers=bearer(token))).json()
    for received in by_browser.values():
        assert received.payload["notification_type"] == "mention"
        assert received.payload["notification_id"] == notes[0]["id"]
        assert received.payload["title"] == "bob mentioned you"
        assert "lunch?" in received.payload["body"]
        assert received.payload["icon"].startswith("http")
        assert received.claims["sub"]
    with node.db:
        assert await ChannelJob.filter(channel="push", state="sent").count() == 2
        assert await webpush.drain(node, later()) == 0  # sent once, never again
        # Finished jobs are kept a week, then pruned.
        assert await dispatcher.prune(node, later(6 * 86400)) == 0
        assert await dispatcher.prune(node, later(8 * 86400)) == 2
        assert not await ChannelJob.exists()


async def test_mastodon_py_subscribes_and_decrypts(aiohttp_client, make_config, push_receiver):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    base = str(client.make_url("/")).rstrip("/")
    push_receiver.vapid_public = await vapid_key(client)
    browser = push_receiver.browser("mastodon-py")

    def set_up() -> dict:
        api = Mastodon(access_token=token, api_base_url=base)
        private, public = api.push_subscription_generate_keys()
        browser.private = ec.derive_private_key(private["privkey"], ec.SECP256R1())
        browser.auth = private["auth"]
        api.push_subscription_set(
            push_receiver.endpoint("mastodon-py"),
            public,
            mention_events=True,
            follow_events=True,
            policy="all",
        )
        return dict(api.push_subscription())

    sub = await asyncio.get_running_loop().run_in_executor(None, set_up)
    assert sub["alerts"]["mention"] is True and sub["alerts"]["favourite"] is False
    await client.post(
        "/api/v1/statuses", json={"status": "@alice hi from Mastodon.py land"}, headers=bearer(bob_token)
    )
    assert await deliver(node) == 1
    assert push_receiver.rejected == []
    assert push_receiver.received[0].encoding == "aesgcm"
    assert push_receiver.received[0].payload["notification_type"] == "mention"


async def test_alerts_policy_and_preferences_choose_what_is_pushed(
    aiohttp_client, make_config, push_receiver
):
    client, node = await served(aiohttp_client, make_config)
    alice, token = await create_user(node, "alice")
    bob, bob_token = await create_user(node, "bob")
    carol, carol_token = await create_user(node, "carol")
    push_receiver.vapid_public = await vapid_key(client)
    await subscribe(
        client, token, push_receiver, "phone", alerts={"mention": True, "favourite": False}, policy="followed"
    )
    await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=bearer(token))
    post = await (
        await client.post("/api/v1/statuses", json={"status": "mine"}, headers=bearer(token))
    ).json()
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bearer(bob_token))  # alert off
    await client.post(
        "/api/v1/statuses", json={"status": "@alice from carol"}, headers=bearer(carol_token)
    )  # not followed
    await client.post("/api/v1/statuses", json={"status": "@alice from bob"}, headers=bearer(bob_token))
    assert await deliver(node) == 1
    assert [r.payload["body"] for r in push_receiver.received] == ["@alice from bob"]

    # The account-wide preference turns mentions off on every subscription.
    resp = await client.put(
        "/api/v1/notifications/preferences",
        json={"types": {"mention": {"push": False}}},
        headers=bearer(token),
    )
    assert resp.status == 200
    await client.post("/api/v1/statuses", json={"status": "@alice again"}, headers=bearer(bob_token))
    assert await deliver(node) == 0

    # PUT changes alerts and policy only.
    resp = await client.put(
        "/api/v1/push/subscription",
        json={"data": {"alerts": {"favourite": True}, "policy": "all"}},
        headers=bearer(token),
    )
    body = await resp.json()
    assert (
        body["alerts"]["favourite"] is True and body["alerts"]["mention"] is True and body["policy"] == "all"
    )
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bearer(carol_token))
    assert await deliver(node) == 1
    assert push_receiver.received[-1].payload["notification_type"] == "favourite"


async def test_gone_subscriptions_are_dropped_and_failures_retried(
    aiohttp_client, make_config, push_receiver
):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    push_receiver.vapid_public = await vapid_key(client)
    await subscribe(client, token, push_receiver, "flaky")
    push_receiver.answer["flaky"] = 503
    await client.post("/api/v1/statuses", json={"status": "@alice one"}, headers=bearer(bob_token))
    now = later()
    assert await deliver(node, now) == 1
    with node.db:
        job = await ChannelJob.get(channel="push")
    assert job.state == "pending" and job.attempts == 1 and "503" in job.last_error and job.due_at > now
    del push_receiver.answer["flaky"]
    assert await deliver(node, now + timedelta(minutes=1)) == 1  # the backoff (30 s +-25 %) has passed
    assert len(push_receiver.received) == 1
    with node.db:
        assert (await ChannelJob.get(id=job.id)).state == "sent"

    push_receiver.answer["flaky"] = 410
    await client.post("/api/v1/statuses", json={"status": "@alice two"}, headers=bearer(bob_token))
    await deliver(node, later(10))
    with node.db:
        assert not await PushSubscription.exists()
    assert (await client.get("/api/v1/push/subscription", headers=bearer(token))).status == 404


async def test_a_revoked_token_gets_no_pushes_and_delete_unsubscribes(
    aiohttp_client, make_config, push_receiver
):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    push_receiver.vapid_public = await vapid_key(client)
    await subscribe(client, token, push_receiver, "old")
    with node.db:
        await auth.revoke_token(token)
    await client.post("/api/v1/statuses", json={"status": "@alice hello"}, headers=bearer(bob_token))
    await deliver(node)
    assert push_receiver.received == []

    _, token2 = await create_user(node, "dana")
    await subscribe(client, token2, push_receiver, "dana")
    assert (await client.delete("/api/v1/push/subscription", headers=bearer(token2))).status == 200
    assert (await client.get("/api/v1/push/subscription", headers=bearer(token2))).status == 404


async def test_the_dispatcher_replays_after_a_crash_and_never_pushes_twice(
    aiohttp_client, make_config, push_receiver
):
    """Jobs and the cursor move in one transaction: a pass that died before committing leaves the
    notification to the next pass; a committed pass is never repeated."""
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    push_receiver.vapid_public = await vapid_key(client)
    await subscribe(client, token, push_receiver, "phone")
    await client.post("/api/v1/statuses", json={"status": "@alice crash test"}, headers=bearer(bob_token))
    await node.settle()
    original = ChannelJob.bulk_create

    async def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the process died here")

    ChannelJob.bulk_create = crash  # type: ignore[method-assign]
    try:
        with node.db:
            try:
                await dispatcher.run_once(node, later())
            except RuntimeError:
                pass
            assert await ChannelJob.filter(channel="push").count() == 0
    finally:
        ChannelJob.bulk_create = original  # type: ignore[method-assign]
    assert await deliver(node) == 1
    assert await deliver(node, later(60)) == 0
    assert len(push_receiver.received) == 1
    with node.db:
        assert await Notification.filter(type="mention").count() == 1


async def test_the_vapid_key_survives_a_restart(make_config, tmp_path):
    from node.lifecycle import start_node, stop_node
    from node.notify import state

    config = make_config()
    first = await start_node(config)
    key = state.of(first).vapid_public
    await stop_node(first)
    second = await start_node(config)
    try:
        assert state.of(second).vapid_public == key
        assert (config.data_dir / "vapid-key.pem").stat().st_mode & 0o077 == 0
    finally:
        await stop_node(second)
