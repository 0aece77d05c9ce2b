"""End-to-end encrypted Messages in real Chromium across two real nodes (node-a.test and node-b.test over
loopback HTTP, federating with each other): the crypto runs in the page (libolm WebAssembly), the nodes see
public keys and ciphertext only.

Chromium reaches the nodes by name (--host-resolver-rules maps node-a.test and node-b.test to their loopback
ports, so Host headers, cookies and actor URIs are the real ones), and treats those plain-HTTP origins as
secure contexts (WebCrypto needs one; a real node is served over HTTPS). Federation queues are drained with
settle() while the test waits for the page, as the node's workers would.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM_ARGS, chromium_path, shot_path, sign_in_page
from e2ee_support import SCOPES, Capture, E2EECluster, crypto_user
from playwright.async_api import TimeoutError as PlaywrightTimeout

from node.services import auth
from plugins.e2ee.client import E2EEClient, NodeClient
from plugins.e2ee.client.safety import safety_number
from plugins.e2ee.models import Device, Envelope

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}
CLUSTER = E2EECluster


@pytest.fixture
async def nodes(tmp_path: Path, request):  # type: ignore[no-untyped-def]
    theme = getattr(request, "param", "vignette")  # parametrize("nodes", [theme], indirect=True) picks another
    cluster = E2EECluster(tmp_path, Capture())  # every HTTP body the nodes receive and answer
    a = await cluster.add_node("node-a", theme=theme)
    b = await cluster.add_node("node-b", theme=theme)
    yield cluster, a, b
    await cluster.close()


@pytest.fixture
async def chromium(nodes):  # type: ignore[no-untyped-def]
    cluster, a, b = nodes
    executable = chromium_path()
    from playwright.async_api import async_playwright

    rules = ",".join(f"MAP {fed.domain} 127.0.0.1:{cluster.ports[fed.domain]}" for fed in (a, b))
    origins = ",".join(fed.base for fed in (a, b))
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}", f"--unsafely-treat-insecure-origin-as-secure={origins}"])
        try:
            yield launched
        finally:
            await launched.close()


class Person:
    """One person in one browser (its own context: its own cookies and IndexedDB)."""

    def __init__(self, page: Any, base: str, cluster: E2EECluster) -> None:
        self.page = page
        self.base = base
        self.cluster = cluster
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def until(self, selector: str, text: str | None = None, rounds: int = 150) -> Any:
        """Wait for `selector` (holding `text`) while the nodes' federation queues drain."""
        locator = self.page.locator(selector)
        if text is not None:
            locator = locator.filter(has_text=text)
        for _ in range(rounds):
            await self.cluster.settle()
            if await locator.count():
                return locator.first
            await self.page.wait_for_timeout(100)
        await self.page.screenshot(path=shot_path("messages-timeout.png"))
        raise AssertionError(f"{selector} {text!r} never appeared; page errors: {self.errors}")

    async def start_chat(self, handle: str) -> None:
        await self.page.click("[data-new-chat]")
        await self.page.fill("#chat-with", handle)
        await self.page.click("[data-start-chat] button[type=submit]")
        await self.page.locator("[data-conversation]:not([hidden])").wait_for()

    async def send(self, text: str) -> None:
        await self.page.fill("[data-composer] textarea", text)
        await self.page.click("[data-composer] button[type=submit]")

    async def open(self, title: str) -> None:
        # The list re-renders live (a new message or key arriving over the stream replaces its items): a click
        # that lands on an item just replaced is lost, so it is given again (bounded).
        opened = self.page.locator("[data-conversation]:not([hidden])")
        for _ in range(3):
            await (await self.until(".conversation-item", title)).locator("button.open").click()
            try:
                await opened.wait_for(timeout=10_000)
                return
            except PlaywrightTimeout:
                continue
        await opened.wait_for()


async def sign_in(browser: Any, cluster: E2EECluster, fed: Any, name: str, viewport: dict[str, int] = PHONE,
                  clock: bool = False) -> Person:
    context = await browser.new_context(viewport=viewport)
    if clock:  # the page's clock, which the test moves forward (it runs on from now meanwhile)
        await context.clock.install()
    page = await context.new_page()
    await sign_in_page(page, fed.base, name)
    await page.goto(fed.base + "/messages")
    person = Person(page, fed.base, cluster)
    await page.locator('[data-messenger][data-state="ready"]').wait_for(timeout=20000)
    return person


def raw_bytes(folder: Path) -> bytes:
    """Every byte a node wrote: its SQLite files (WAL and journal included), logs and anything else."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


async def test_alice_on_a_and_bob_on_b_chat_both_ways_in_the_browser(nodes, chromium, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    await crypto_user(b, "bob")
    bob = await sign_in(chromium, cluster, b, "bob")
    alice = await sign_in(chromium, cluster, a, "alice")
    markers = [f"marker-{secrets.token_hex(8)}" for _ in range(3)]

    await alice.start_chat("@bob@node-b.test")
    await alice.send(f"hello bob {markers[0]}")
    await alice.until(".bubble.mine", markers[0])
    # bob's inbox shows the conversation live (over the stream) with a decrypted preview and an unread count
    item = await bob.until(".conversation-item", markers[0])
    assert await item.locator(".unread-count").inner_text() == "1"
    assert "alice@node-a.test" in await item.inner_text()
    # delivered, then read once bob opens it
    await alice.until('[data-receipt="delivered"]')
    await bob.open("alice@node-a.test")
    await bob.until(".bubble.theirs", markers[0])
    await alice.until('[data-receipt="read"]')

    # typing travels to the other node and shows in the conversation
    await bob.page.type("[data-composer] textarea", "typing…")
    await alice.until("[data-typing]:not([hidden])", "is typing")
    await bob.page.fill("[data-composer] textarea", "")
    await bob.send(f"hi alice {markers[1]}")
    await alice.until(".bubble.theirs", markers[1])

    # reply, edit and delete for everyone, all inside the ciphertext
    await (await alice.until(".bubble.theirs", markers[1])).locator("button", has_text="Reply").click()
    await alice.send(f"a reply {markers[2]}")
    reply = await bob.until(".bubble.theirs", markers[2])
    assert markers[1] in await reply.locator(".reply-to").inner_text()
    alice.page.once("dialog", lambda dialog: dialog.accept("edited text"))
    await (await alice.until(".bubble.mine", markers[2])).locator("button", has_text="Edit").click()
    await bob.until(".bubble.theirs", "edited text")
    alice.page.once("dialog", lambda dialog: dialog.accept())
    await (await alice.until(".bubble.mine", markers[0])).locator("button", has_text="Delete for everyone").click()
    await bob.until(".bubble.theirs.deleted", "This message was deleted")
    assert await bob.page.locator(".bubble", has_text=markers[0]).count() == 0
    await bob.page.screenshot(path=shot_path("messages-bob-phone.png"))

    # the safety number is the same on both screens, and the one the Python client computes
    await alice.page.click("[data-details-toggle]")
    await bob.page.click("[data-details-toggle]")
    alice_digits = await (await alice.until("[data-safety-digits]")).inner_text()
    bob_digits = await (await bob.until("[data-safety-digits]")).inner_text()
    assert alice_digits == bob_digits
    assert await alice.page.locator("[data-safety-emoji]").first.inner_text() == \
        await bob.page.locator("[data-safety-emoji]").first.inner_text()
    with a.node.db:
        alice_device = await Device.get(local=True)
    with b.node.db:
        bob_device = await Device.get(local=True)
    digits, _ = safety_number(f"{a.base}/users/alice", alice_device.fingerprint_key,
                              f"{b.base}/users/bob", bob_device.fingerprint_key)
    assert alice_digits == digits
    await alice.page.click("[data-verify]")
    await alice.until(".verified", "Verified")
    assert alice.errors == [] and bob.errors == []

    # the servers could not read any of it: no marker in either node's files (SQLite, WAL), in any HTTP body
    # they received or sent (the browsers' calls and each other's), or in anything logged
    bodies = b"\n".join(cluster.capture.bodies)
    assert b"/api/v1/crypto/deliveries" in bodies and b"EncryptedMessageBatch" in bodies  # the capture saw it all
    for marker in [*markers, "edited text"]:
        for fed in (a, b):
            assert marker.encode() not in raw_bytes(tmp_path / fed.name)
        assert marker.encode() not in bodies
        assert marker not in caplog.text


async def test_a_browser_and_a_python_client_chat_both_ways(nodes, chromium, tmp_path):
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    bob_user, bob_token = await crypto_user(b, "bob")
    with b.node.bound():  # a second app of bob's: its own token, so its own device
        second_token = await auth.issue_token(bob_user, None, SCOPES)
    for backend, token in (("vodozemac", bob_token), ("olm", second_token)):
        bob_cli = await cluster.device(b, token, backend)
        await cluster.settle()  # node-a hears of bob's new device list
        if backend == "vodozemac":
            alice = await sign_in(chromium, cluster, a, "alice")
            await alice.start_chat("@bob@node-b.test")
        marker = f"from-the-browser-{backend}-{secrets.token_hex(6)}"
        await alice.send(marker)
        await alice.until(".bubble.mine", marker)
        await cluster.settle()
        got = [m for m in await bob_cli.receive() if m.type == "text"]
        assert [m.text for m in got] == [marker], bob_cli.refused
        assert got[0].sender == f"{a.base}/users/alice"
        answer = f"from-python-{backend}-{secrets.token_hex(6)}"
        await bob_cli.send_text(got[0].sender_account_id, answer)
        await cluster.settle()
        await alice.until(".bubble.theirs", answer)
        if backend == "olm":  # bob's second client is a new device, announced in the conversation
            await alice.until(".system", "added a new device")
        await bob_cli.api.close()
    assert alice.errors == []


async def test_a_swapped_device_key_is_detected_and_sending_waits_for_acceptance(nodes, chromium):
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    await crypto_user(b, "bob")
    bob = await sign_in(chromium, cluster, b, "bob")
    alice = await sign_in(chromium, cluster, a, "alice")
    await alice.start_chat("@bob@node-b.test")
    await alice.send("before the swap")
    await bob.until(".conversation-item", "before the swap")

    # node A (alice's own server) replaces its copy of bob's device with keys it controls, validly self-signed
    # by its own Olm account under the same device id: only the pin in alice's browser can notice
    _, mallory_token = await crypto_user(a, "mallory")
    mallory = E2EEClient(NodeClient(a.base, mallory_token, cluster.http()), "vodozemac")
    mallory.account = mallory.backend.new_account()
    from plugins.e2ee import signing

    with a.node.db:
        copy = await Device.get(local=False)
        forged = signing.device_object(f"{b.base}/users/bob", copy.device_id, mallory.account.identity_key,
                                       mallory.account.fingerprint_key, signing.ALGORITHMS)
        copy.identity_key = mallory.account.identity_key
        copy.fingerprint_key = mallory.account.fingerprint_key
        copy.signature = mallory.account.sign(signing.canonical_json(forged))
        await copy.save()
    await alice.send("after the swap")
    await alice.until("[data-key-alert]:not([hidden])")
    await alice.until("[data-send-error]:not([hidden])", "Not sent")
    await alice.until(".system", "changed")
    # nothing went out: bob never gets it
    await cluster.settle()
    assert await bob.page.locator(".conversation-item", has_text="after the swap").count() == 0
    # accepting the forged keys does not get a message out either: the one-time keys the node hands out for
    # that device are still bob's, signed by his real key, and fail the check against the forged one
    await alice.page.click("[data-accept-keys]")
    await alice.until(".system", "You accepted the new keys")
    assert await alice.page.locator("[data-key-alert]:not([hidden])").count() == 0
    await alice.send("after accepting the forged keys")
    await alice.until(".system", "failed its signature check")
    await alice.until("[data-send-error]:not([hidden])", "could be reached safely")
    await cluster.settle()
    assert await bob.page.locator(".conversation-item", has_text="after accepting").count() == 0
    assert alice.errors == []
    await mallory.api.close()


CHECK_TWICE = """async () => {
  const { Device, loadOlm } = await import("/static/messages/e2ee.js");
  const { ALGORITHMS, canonicalJson, deviceObject } = await import("/static/messages/keys.js");
  const device = new Device(null);
  device.olm = await loadOlm();
  device.me = { id: "1" };
  const bob = new device.olm.Account();
  bob.create();
  const keys = JSON.parse(bob.identity_keys());
  const uri = "http://node-b.test/users/bob";
  const d = { device_id: "PHONE", identity_key: keys.curve25519, fingerprint_key: keys.ed25519, algorithms: ALGORITHMS,
              signature: bob.sign(canonicalJson(deviceObject(uri, "PHONE", keys.curve25519, keys.ed25519, ALGORITHMS))) };
  const ok = (accountUri, changed) => device.checkDevice("2", accountUri, { ...d, ...changed }) !== null;
  return { first: ok(uri, {}), again: ok(uri, {}),
           otherSignature: ok(uri, { signature: bob.sign("other bytes") }),
           otherAlgorithms: ok(uri, { algorithms: [ALGORITHMS[0]] }),
           otherAccount: ok("http://node-b.test/users/mallory", {}),
           last: ok(uri, {}), remembered: device.checkedDevices.size, refused: device.refused };
}"""


async def test_a_device_that_passed_its_checks_is_refused_once_a_signed_byte_differs(nodes, chromium):
    """The page does not verify an unchanged device object again (a big group's share would re-verify
    thousands each time), but a real signature over other bytes, other algorithms or another actor under the
    same keys fails as it did before anything was remembered."""
    cluster, a, _ = nodes
    page = await (await chromium.new_context()).new_page()
    await page.goto(a.base + "/login")
    got = await page.evaluate(CHECK_TWICE)
    assert got["first"] and got["again"] and got["last"], got
    assert not got["otherSignature"] and not got["otherAlgorithms"] and not got["otherAccount"], got
    assert got["remembered"] == 1, got
    assert len(got["refused"]) == 3 and all("the signature does not verify" in r for r in got["refused"]), got


async def test_a_contact_who_reinstalls_is_announced_and_sending_resumes_after_accepting(nodes, chromium):
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    bob_phone = await cluster.device(b, bob_token, device_id="bobphone")
    alice = await sign_in(chromium, cluster, a, "alice")
    await alice.start_chat("@bob@node-b.test")
    await alice.send("to the old phone")
    await alice.until(".bubble.mine", "to the old phone")
    await cluster.settle()
    assert [m.text for m in await bob_phone.receive()] == ["to the old phone"]
    # bob reinstalls: the same device id with new keys (his node announces the new list)
    await bob_phone.api.call("DELETE", "/api/v1/crypto/devices/current")
    reinstalled = await cluster.device(b, bob_token, device_id="bobphone")
    await cluster.settle()
    await alice.send("held back")
    await alice.until("[data-key-alert]:not([hidden])")
    await alice.until("[data-send-error]:not([hidden])", "Not sent")
    await alice.page.click("[data-details-toggle]")
    shown = await (await alice.until(".device.changed [data-safety-digits]")).inner_text()
    with a.node.db:
        alice_key = (await Device.get(local=True)).fingerprint_key
    # what bob's reinstalled client shows him for alice's browser: the same number
    assert shown == safety_number(reinstalled.my_uri, reinstalled.account.fingerprint_key,
                                  f"{a.base}/users/alice", alice_key)[0]
    await alice.page.click("[data-accept-keys]")
    await alice.send("to the new phone")
    await alice.until(".bubble.mine", "to the new phone")
    await cluster.settle()
    assert [m.text for m in await reinstalled.receive() if m.type == "text"] == ["to the new phone"], reinstalled.refused
    assert alice.errors == []


async def test_a_group_across_both_nodes_with_a_leaver_and_a_late_joiner(nodes, chromium):
    cluster, a, b = nodes
    await crypto_user(a, "alice")
    await crypto_user(b, "bob")
    await crypto_user(b, "carol")
    _, dave_token = await crypto_user(a, "dave")
    bob = await sign_in(chromium, cluster, b, "bob")
    carol = await sign_in(chromium, cluster, b, "carol")
    alice = await sign_in(chromium, cluster, a, "alice", viewport={"width": 1280, "height": 860})
    dave = await cluster.device(a, dave_token)  # the late joiner reads with the Python client
    await alice.page.click("[data-new-group]")
    await alice.page.fill("#group-name", "Trip")
    await alice.page.fill("#group-members", "@bob@node-b.test, @carol@node-b.test")
    await alice.page.click("[data-start-group] button[type=submit]")
    await alice.until("[data-title]", "Trip")
    await alice.send("group hello one")
    await alice.until(".bubble.mine", "group hello one")
    # the page timed the key share (scripts/benchmarks/e2ee_browser.py reads these entries): a new key, two
    # one-time keys claimed and both devices reached
    shares = await alice.page.evaluate("performance.getEntriesByName('e2ee.share').map((e) => e.detail)")
    assert len(shares) == 1 and shares[0]["rotated"], shares
    assert shares[0]["devices"] == shares[0]["claimed"] == shares[0]["reached"] == 2, shares
    assert all(shares[0][phase] >= 0 for phase in ("query", "claim", "sessions", "encrypt", "upload")), shares
    assert await alice.page.evaluate("performance.getEntriesByName('e2ee.sendGroup').length") == 1
    for person in (bob, carol):
        await person.open("Trip")
        await person.until(".bubble.theirs", "group hello one")
    await bob.send("bob to the group")
    await alice.until(".bubble.theirs", "bob to the group")
    await carol.until(".bubble.theirs", "bob to the group")
    assert "bob@node-b.test" in await carol.page.locator(".bubble.theirs", has_text="bob to the group").inner_text()

    # carol leaves: the epoch moves on, alice's next message is under a new key carol never gets
    await carol.page.click("[data-details-toggle]")
    carol.page.once("dialog", lambda dialog: dialog.accept())
    await (await carol.until("[data-leave]:not([hidden])")).click()
    await carol.until("[data-messenger][data-view=inbox]")
    await cluster.settle()
    await alice.send("after carol left")
    await bob.until(".bubble.theirs", "after carol left")
    await cluster.settle()
    assert await carol.page.locator(".bubble", has_text="after carol left").count() == 0
    assert await carol.page.locator(".conversation-item", has_text="after carol left").count() == 0

    # dave joins late: he reads from the next key on, never what came before
    await alice.page.click("[data-details-toggle]")
    await alice.page.fill("[data-add-member] input", "@dave")
    await alice.page.click("[data-add-member] button")
    await alice.until("[data-subtitle]", "3 members")
    await alice.send("welcome dave")
    await bob.until(".bubble.theirs", "welcome dave")
    await cluster.settle()
    texts = [m.text for m in await dave.receive() if m.type == "text"]
    assert texts == ["welcome dave"], dave.refused
    # and he answers the group from the Python client; both browsers read it
    group_id = str((await dave.api.groups())[0]["id"])
    await dave.send_group(group_id, "text", text="dave from python")
    await alice.until(".bubble.theirs", "dave from python")
    await bob.until(".bubble.theirs", "dave from python")
    await alice.page.screenshot(path=shot_path("messages-group-desktop.png"))
    assert alice.errors == [] and bob.errors == [] and carol.errors == []


async def test_presence_and_a_disappearing_message_in_both_browsers_and_databases(nodes, chromium):
    """bob's presence reaches alice's open conversation live across the nodes; a message sent with a 30 s timer
    is gone from both pages (their clocks moved on) and from both nodes (their clocks moved on, expiry run)."""
    from datetime import timedelta

    from node.models import InboxActivity, OutboxActivity
    from plugins.e2ee import expire_messages
    from plugins.e2ee.models import SentBatch

    cluster, a, b = nodes
    await crypto_user(a, "alice")
    await crypto_user(b, "bob")
    bob = await sign_in(chromium, cluster, b, "bob", clock=True)
    alice = await sign_in(chromium, cluster, a, "alice", clock=True)
    await alice.start_chat("@bob@node-b.test")
    await alice.send("hello bob")
    await bob.open("alice@node-a.test")
    await bob.until(".bubble.theirs", "hello bob")

    # bob comes back (his stream reconnects): alice's header and list say he is online, then last seen
    await bob.page.reload()
    await bob.page.locator('[data-messenger][data-state="ready"]').wait_for(timeout=20000)
    await alice.until("[data-subtitle]", "Online")
    await alice.until(".conversation-item [data-presence]", "Online")
    await bob.page.goto(b.base + "/settings/privacy")
    await alice.until("[data-subtitle]", "Last seen")
    await bob.page.goto(b.base + "/messages")
    await bob.page.locator('[data-messenger][data-state="ready"]').wait_for(timeout=20000)
    await bob.open("alice@node-a.test")

    # disappearing messages: alice turns on a 30 s timer, both sides see it, then a message with it
    await alice.page.click("[data-details-toggle]")
    await alice.page.select_option("[data-timer]", "30")
    await alice.page.click("[data-details-toggle]")
    await bob.until(".system", "turned on disappearing messages")
    marker = f"marker-{secrets.token_hex(8)}"
    await alice.send(marker)
    await alice.until(".bubble.mine", marker)
    await bob.until(".bubble.theirs", marker)
    with a.db():
        expiring = [uri for uri in await SentBatch.filter(expires_at__isnull=False).values_list("activity_uri", flat=True)
                    if "/e2ee/typing/" not in uri and "/e2ee/presence/" not in uri]  # those last a minute
        assert expiring and await OutboxActivity.filter(uri__in=list(expiring)).count()
    with b.db():
        assert await InboxActivity.filter(activity_uri__in=list(expiring)).count()

    # 31 s later on every clock: the nodes' expiry job runs, the pages drop the message at its expires_at
    for fed in (a, b):
        fed.node.clock.advance(timedelta(seconds=31))
        with fed.db():
            await expire_messages(fed.node.plugins.api("e2ee"))
    for person in (alice, bob):
        await person.page.clock.fast_forward(31_000)
        await person.page.locator(".bubble", has_text=marker).wait_for(state="detached", timeout=10_000)
    assert await alice.page.locator(".bubble", has_text="hello bob").count() == 1  # sent before the timer
    with a.db():
        assert await OutboxActivity.filter(uri__in=list(expiring)).count() == 0
        assert await SentBatch.filter(activity_uri__in=list(expiring)).count() == 0
    with b.db():
        assert await InboxActivity.filter(activity_uri__in=list(expiring)).count() == 0
        assert await Envelope.filter(expires_at__isnull=False).count() == 0
    assert alice.errors == [] and bob.errors == []


async def test_bad_input_gets_clear_errors_in_the_page_and_nothing_is_sent(nodes, chromium):
    """An over-long message, a device that no longer exists and a group beyond the cap: each is a clear error
    on screen (the node answers 4xx to the API calls) and nothing is half-sent."""
    from node.models import User
    from plugins.e2ee.models import Group

    cluster, a, _ = nodes
    await crypto_user(a, "alice")
    await crypto_user(a, "carol")
    carol = await sign_in(chromium, cluster, a, "carol")
    alice = await sign_in(chromium, cluster, a, "alice")
    await alice.start_chat("@carol")
    await alice.send("hello carol")
    await carol.until(".conversation-item", "hello carol")

    deliveries: list[int] = []
    alice.page.on("response", lambda r: deliveries.append(r.status) if "/crypto/deliveries" in r.url else None)
    await alice.send("x" * 10_001)
    await alice.until("[data-send-error]:not([hidden])", "at most 10000 characters")
    assert deliveries == [] and await alice.page.locator(".bubble.mine").count() == 1

    # carol's device is gone from the node (removed elsewhere) while alice's page still knows it
    with a.db():
        carol_id = (await User.get(account__username="carol").prefetch_related("account")).account.id
        await Device.filter(account_id=carol_id).delete()
    await alice.send("to a device that does not exist")
    error = await alice.until("[data-send-error]:not([hidden])", "Not sent")
    assert "device" in (await error.inner_text()).lower()
    assert all(400 <= s < 500 for s in deliveries)
    with a.db():
        assert await Envelope.all().count() == 0

    await alice.page.click("[data-back]")
    await alice.page.click("[data-new-group]")
    await alice.page.fill("#group-members", " ".join(f"@u{i}" for i in range(1500)))
    await alice.page.click("[data-start-group] button[type=submit]")
    await alice.until("[data-status]", "a group has at most 1500 members")
    with a.db():
        assert await Group.all().count() == 0
    assert alice.errors == []


@pytest.mark.parametrize("nodes", ["socialink"], indirect=True)
async def test_socialink_shows_messages_as_a_messenger_panel(nodes, chromium):
    """Socialink: full screen on a 390 px phone (one pane at a time), a docked chat list beside the open chat
    on a desktop; nothing scrolls sideways."""
    cluster, a, _ = nodes
    await crypto_user(a, "alice")
    await crypto_user(a, "carol")
    await sign_in(chromium, cluster, a, "carol")  # a device to chat with
    alice = await sign_in(chromium, cluster, a, "alice")
    page = alice.page
    box = await page.locator("[data-messenger]").bounding_box()
    assert box is not None and box["x"] == 0 and box["width"] == PHONE["width"]  # the whole screen
    await alice.start_chat("@carol")
    assert not await page.locator(".inbox").is_visible()  # phone: the chat replaces the list
    assert await page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    await page.set_viewport_size({"width": 1280, "height": 800})
    inbox = await page.locator(".inbox").bounding_box()
    chat = await page.locator("[data-conversation]").bounding_box()
    assert inbox and chat and inbox["x"] + inbox["width"] <= chat["x"] + 1  # docked side by side
    assert 300 <= inbox["width"] <= 380
    await page.screenshot(path=shot_path("messages-socialink-desktop.png"))
    assert alice.errors == []
