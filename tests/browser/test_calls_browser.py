"""1:1 calls in real Chromium across two real nodes (fake camera and microphone): alice on node-a calls bob on
node-b. Offer, answer and ICE candidates go only as Olm-encrypted to-device messages, so neither node's files,
logs nor any HTTP body holds SDP or a candidate; media flows browser to browser over DTLS-SRTP (host
candidates on loopback, no STUN/TURN configured). Fixtures and helpers are the Messages tests' own."""

from __future__ import annotations

import logging
import time

import pytest
from conftest import CHROMIUM_ARGS, chromium_path, shot_path
from e2ee_support import Capture, E2EECluster, crypto_user
from test_messages_browser import raw_bytes, sign_in

from node.models import Notification

SIGNALLING_TEXT = [b"a=fingerprint", b"candidate:", b"a=ice-ufrag", b"m=video"]


@pytest.fixture
async def nodes(tmp_path):  # type: ignore[no-untyped-def]
    # alice's node wears Vignette, bob's Socialink: the call crosses both themes
    cluster = E2EECluster(tmp_path, Capture())
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b", node={"theme": "socialink"})
    yield cluster, a, b
    await cluster.close()


@pytest.fixture
async def chromium(nodes):  # type: ignore[no-untyped-def]
    cluster, a, b = nodes
    from playwright.async_api import async_playwright

    rules = ",".join(f"MAP {fed.domain} 127.0.0.1:{cluster.ports[fed.domain]}" for fed in (a, b))
    origins = ",".join(fed.base for fed in (a, b))
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}", f"--unsafely-treat-insecure-origin-as-secure={origins}",
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--autoplay-policy=no-user-gesture-required"])
        try:
            yield launched
        finally:
            await launched.close()


async def bytes_in(person) -> int:  # type: ignore[no-untyped-def]
    value = await person.page.locator("[data-call]").get_attribute("data-bytes-in")
    return int(value or 0)


async def test_a_video_call_between_two_nodes_connects_with_media_then_declined_and_missed(nodes, chromium, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    await crypto_user(b, "bob")
    bob = await sign_in(chromium, cluster, b, "bob")
    alice = await sign_in(chromium, cluster, a, "alice")
    await alice.start_chat("@bob@node-b.test")
    await alice.send("can we talk?")
    await bob.open("alice@node-a.test")
    await bob.until(".bubble.theirs", "can we talk?")

    # alice places a video call; bob's screen rings with accept / decline
    started = time.monotonic()
    await alice.page.click('[data-call-start="video"]')
    await alice.until('[data-call][data-state="calling"]')
    ringing = await bob.until('[data-call][data-state="ringing"]')
    assert "Incoming video call" in await ringing.inner_text()
    assert await bob.page.locator("[data-call-accept]").is_visible()
    # a ring on bob's side, the ringback on alice's (WebAudio tones)
    assert await ringing.get_attribute("data-tone") == "ringing"
    assert await alice.page.locator("[data-call]").get_attribute("data-tone") == "ringback"
    with b.node.db:  # and bob's node rang him in its notification channels, from the clear ring hint alone
        assert await Notification.filter(type="e2ee_call").count() == 1
    assert await bob.page.locator("header.topbar").count() == 1 == await alice.page.locator("header.topbar").count() + 1
    await bob.page.click("[data-call-accept]")
    await alice.until('[data-call][data-state="connected"]', rounds=300)
    await bob.until('[data-call][data-state="connected"]', rounds=300)
    to_connected = time.monotonic() - started
    assert await bob.page.locator("[data-call]").get_attribute("data-tone") == ""  # silent once answered

    # media flows both ways: inbound RTP bytes grow on both sides
    first = {p: await bytes_in(p) for p in (alice, bob)}
    for _ in range(60):
        await cluster.settle()
        await alice.page.wait_for_timeout(250)
        if await bytes_in(alice) > first[alice] + 20_000 and await bytes_in(bob) > first[bob] + 20_000:
            break
    grown = {p: await bytes_in(p) - first[p] for p in (alice, bob)}
    assert grown[alice] > 20_000 and grown[bob] > 20_000, grown
    # mute and camera off act on the local tracks (the button says so)
    await alice.page.click("[data-call-mute]")
    assert await alice.page.locator("[data-call-mute]").get_attribute("aria-pressed") == "true"
    await alice.page.click("[data-call-camera]")
    assert await alice.page.locator("[data-call-camera]").inner_text() == "Camera on"
    await alice.page.screenshot(path=shot_path("call-alice-connected.png"))
    await bob.page.click("[data-call-hangup]")
    await alice.until(".system", "Video call ·")
    await bob.until(".system", "Video call ·")
    assert await alice.page.locator("[data-call]").is_hidden()

    # bob calls back and alice declines: both conversations say so
    await bob.page.click('[data-call-start="audio"]')
    await alice.until('[data-call][data-state="ringing"]', "Incoming call")
    await alice.page.click("[data-call-decline]")
    await bob.until(".system", "Declined call")
    await alice.until(".system", "Declined call")
    await bob.until('[data-call][data-state="ended"]')

    # alice calls and gives up before bob answers: a missed call on both sides, and bob stops ringing
    await alice.page.click('[data-call-start="video"]')
    await bob.until('[data-call][data-state="ringing"]')
    await alice.page.click("[data-call-hangup]")
    await alice.until(".system", "Missed video call")
    await bob.until(".system", "Missed video call")
    await bob.until('[data-call][data-state="ended"]')
    assert await bob.page.locator("[data-call]").get_attribute("data-tone") == ""  # the ring stopped
    assert alice.errors == [] and bob.errors == []
    print(f"time to connected: {to_connected:.2f}s; inbound bytes alice {grown[alice]}, bob {grown[bob]}")

    # the nodes never saw SDP or a candidate: not in their files (SQLite incl. WAL), bodies or logs
    bodies = b"\n".join(cluster.capture.bodies)
    assert b"/api/v1/crypto/deliveries" in bodies and b"EncryptedMessageBatch" in bodies
    for text in SIGNALLING_TEXT:
        for fed in (a, b):
            assert text not in raw_bytes(tmp_path / fed.name)
        assert text not in bodies
        assert text.decode() not in caplog.text

    # bob's notifications page (Socialink) shows the rings, linking to Messages
    await bob.page.goto(b.base + "/notifications")
    assert "called you" in await bob.page.locator("main").inner_text()
    assert await bob.page.locator("a.notification-face[href='/messages']").count() >= 1


async def test_the_python_client_rings_a_browser_and_reads_its_decline(nodes, chromium):
    # wire compatibility with plugins/e2ee/client: its call.* kinds are the browser's, field for field
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    bob_cli = await cluster.device(b, bob_token)
    await cluster.settle()
    alice = await sign_in(chromium, cluster, a, "alice")
    await alice.start_chat("@bob@node-b.test")
    await alice.send("hello from the browser")
    await alice.until(".bubble.mine", "hello from the browser")  # sent (the click only starts it)
    await cluster.settle()
    [hello] = [m for m in await bob_cli.receive() if m.type == "text"]
    await bob_cli.send(hello.sender_account_id, "call.offer", call_id="py-call-1", video=False, lifetime=60000,
                       sdp="v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
    ringing = await alice.until('[data-call][data-state="ringing"]', "Incoming call")
    assert "bob@node-b.test" in await ringing.inner_text()
    await alice.page.click("[data-call-decline]")
    await alice.until(".system", "Declined call")
    await cluster.settle()
    [hangup] = [m for m in await bob_cli.receive() if m.type == "call.hangup"]
    assert hangup.content["call_id"] == "py-call-1" and hangup.content["reason"] == "declined"
    assert hangup.conversation_id == hello.conversation_id
    await bob_cli.api.close()
    assert alice.errors == []
