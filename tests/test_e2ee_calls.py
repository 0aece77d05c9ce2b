"""Calls on the node's side: a call offer rings its recipient ("alice is calling you", on their node and across
nodes) from the sender's clear `ring` hint alone, the answer, candidates and hangup ring nobody, and nothing
the node keeps or shows holds SDP; the STUN/TURN servers an operator configures reach clients, checked first."""

from __future__ import annotations

import pytest
from e2ee_support import E2EECluster, account_id_on, crypto_user

from node.models import Notification
from node.notify import messages as notify_messages
from plugins.e2ee.calls import ice_servers

CLUSTER = E2EECluster
SDP = "v=0\r\na=fingerprint:sha-256 AB:CD\r\na=candidate:1 1 udp 2122260223 192.168.1.2 5000 typ host\r\n"


async def _rings(fed, account_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    with fed.node.db:
        return list(await Notification.filter(account_id=account_id, type="e2ee_call").order_by("id"))


async def test_an_offer_rings_across_nodes_and_nothing_else_does(cluster, tmp_path):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    bob_user, bob_token = await crypto_user(b, "bob")
    carol_user, carol_token = await crypto_user(a, "carol")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    carol = await cluster.device(a, carol_token)
    await cluster.settle()
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.send(bob_on_a, "call.offer", call_id="c1", sdp=SDP, video=True, lifetime=60000)
    await alice.send(bob_on_a, "call.ice", call_id="c1", candidates=[{"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host"}])
    await alice.send(str(carol_user.account.id), "call.offer", call_id="c2", sdp=SDP, video=False, lifetime=60000)
    await cluster.settle()
    got = await bob.receive()
    assert [(m.type, m.content["call_id"]) for m in got] == [("call.offer", "c1"), ("call.ice", "c1")]
    assert got[0].content["sdp"] == SDP  # end to end, intact
    rings = await _rings(b, bob_user.account.id)
    assert len(rings) == 1  # the offer rang; its candidates did not
    with b.node.db:
        line = (await notify_messages.lines(b.node, [rings[0].id]))[0]
    assert line.title == "alice is calling you" and "fingerprint" not in line.title + line.body
    status, listed = await b.call("GET", "/api/v1/notifications", bob_token)
    assert status == 200 and [n["type"] for n in listed] == ["e2ee_call"] and listed[0]["account"]["acct"] == "alice@node-a.test"
    status, grouped = await b.call("GET", "/api/v2/notifications", bob_token)
    assert status == 200 and [g["type"] for g in grouped["notification_groups"]] == ["e2ee_call"]
    assert len(await _rings(a, carol_user.account.id)) == 1  # on the caller's own node too
    assert [m.type for m in await carol.receive()] == ["call.offer"]

    # answering, candidates and hanging up ring nobody
    alice_on_b = await account_id_on(bob, "alice@node-a.test")
    await bob.send(alice_on_b, "call.answer", call_id="c1", sdp=SDP)
    await bob.send(alice_on_b, "call.hangup", call_id="c1", reason="ended", video=True, duration=3)
    await cluster.settle()
    with a.node.db:
        assert await Notification.filter(type="e2ee_call").count() == 1  # only carol's
    for fed in (a, b):
        raw = b"".join(p.read_bytes() for p in (tmp_path / fed.name).rglob("*") if p.is_file())
        assert b"a=fingerprint" not in raw and b"candidate:" not in raw


async def test_ice_servers_are_handed_to_signed_in_clients(cluster):
    servers = [{"urls": "stun:stun.example.net:3478"},
               {"urls": ["turn:turn.example.net:3478?transport=udp"], "username": "u", "credential": "p"}]
    a = await cluster.add_node("node-a", e2ee={"ice_servers": servers})
    b = await cluster.add_node("node-b")
    _, token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    status, body = await a.call("GET", "/api/v1/crypto/ice_servers", token)
    assert status == 200 and body == {"ice_servers": [{"urls": ["stun:stun.example.net:3478"]},
                                                      {"urls": ["turn:turn.example.net:3478?transport=udp"],
                                                       "username": "u", "credential": "p"}]}
    assert (await b.call("GET", "/api/v1/crypto/ice_servers", bob_token)) == (200, {"ice_servers": []})  # none by default
    status, _ = await a.call("GET", "/api/v1/crypto/ice_servers")
    assert status == 401


@pytest.mark.parametrize("bad", [{"urls": "http://x"}, "stun:x", {"urls": []}, {"urls": "turn:x"},
                                 {"urls": "stun:x", "username": 3}])
def test_bad_ice_servers_are_refused_at_startup(bad):
    with pytest.raises(ValueError):
        ice_servers([bad])
    with pytest.raises(ValueError):
        ice_servers(bad)


async def test_a_ring_reaches_a_closed_app_by_web_push_without_the_sdp(cluster, push_receiver):
    from datetime import UTC, datetime, timedelta

    from node.notify import dispatcher, webpush

    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    alice = await cluster.device(a, alice_token)
    await cluster.device(b, bob_token)
    status, instance = await b.call("GET", "/api/v2/instance")
    push_receiver.vapid_public = instance["configuration"]["vapid"]["public_key"]
    phone = push_receiver.browser("phone")
    status, sub = await b.call("POST", "/api/v1/push/subscription", bob_token, json={
        "subscription": {"endpoint": push_receiver.endpoint("phone"), "standard": True,
                         "keys": {"p256dh": phone.p256dh, "auth": webpush._b64(phone.auth)}},
        "data": {"alerts": {"e2ee_call": True}}})
    assert status == 200 and sub["alerts"]["e2ee_call"] is True
    await cluster.settle()
    await alice.send(await account_id_on(alice, "bob@node-b.test"), "call.offer", call_id="c9", sdp=SDP, video=True,
                     lifetime=60000)
    await cluster.settle()
    later = datetime.now(UTC) + timedelta(seconds=5)
    with b.node.db:
        await dispatcher.drain(b.node, later)
        await webpush.drain(b.node, later)
    assert push_receiver.rejected == []
    [pushed] = push_receiver.received
    assert pushed.payload["notification_type"] == "e2ee_call"
    assert pushed.payload["title"] == "alice is calling you"
    assert "fingerprint" not in str(pushed.payload) and "candidate" not in str(pushed.payload)
