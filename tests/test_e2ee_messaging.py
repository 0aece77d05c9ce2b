"""E2EE messaging between two nodes with clients on both backends: 1:1 both ways, multi-device, groups with
a member leaving and a late joiner, disappearing messages, a node down while sending, ordering, and what
travels inside the ciphertext (edits, deletes, receipts, timers, call signalling)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from e2ee_support import E2EECluster, account_id_on, crypto_user

from plugins.e2ee import expire_messages
from plugins.e2ee.client import CryptoError, Refused
from plugins.e2ee.models import Envelope

BACKENDS = [("vodozemac", "vodozemac"), ("olm", "olm"), ("olm", "vodozemac"), ("vodozemac", "olm")]


CLUSTER = E2EECluster  # the cluster fixture (tests/conftest.py) makes e2ee nodes


@pytest.mark.parametrize(("alice_backend", "bob_backend"), BACKENDS)
async def test_one_to_one_both_ways_across_nodes_and_backends(cluster, crypto_pair, alice_backend, bob_backend):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token, alice_backend)
    bob = await cluster.device(b, bob_token, bob_backend)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    for text in ("first", "second", "third"):
        await alice.send_text(bob_on_a, text)
    await cluster.settle()
    got = await bob.receive()
    assert [m.text for m in got] == ["first", "second", "third"], bob.refused
    assert {m.sender for m in got} == {"http://node-a.test/users/alice"}
    alice_on_b = got[0].sender_account_id
    await bob.send_text(alice_on_b, "reply one")
    await bob.send_text(alice_on_b, "reply two")
    await cluster.settle()
    assert [m.text for m in await alice.receive()] == ["reply one", "reply two"], alice.refused
    # and on again, now that both sides have established sessions
    await alice.send_text(bob_on_a, "after the reply")
    await cluster.settle()
    assert [m.text for m in await bob.receive()] == ["after the reply"]
    assert not alice.refused and not bob.refused
    # acknowledged envelopes are gone from the queues
    with b.db():
        assert await Envelope.all().count() == 0


async def test_multi_device_sender_and_recipient(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    _, alice_token2 = await crypto_user(a, "alice2")  # another person on node a, as a control
    alice_phone = await cluster.device(a, alice_token)
    _, alice_laptop_token = await _second_token(a, "alice")
    alice_laptop = await cluster.device(a, alice_laptop_token, "olm")
    bob_phone = await cluster.device(b, bob_token)
    _, bob_laptop_token = await _second_token(b, "bob")
    bob_laptop = await cluster.device(b, bob_laptop_token, "olm")
    bob_on_a = await account_id_on(alice_phone, "bob@node-b.test")
    await alice_phone.send_text(bob_on_a, "to all your devices")
    await cluster.settle()
    assert [m.text for m in await bob_phone.receive()] == ["to all your devices"]
    assert [m.text for m in await bob_laptop.receive()] == ["to all your devices"]
    # the sender's other device gets its own copy, and knows whom it was to
    mine = await alice_laptop.receive()
    assert [m.text for m in mine] == ["to all your devices"]
    assert mine[0].conversation_id == "dm:http://node-a.test/users/alice|http://node-b.test/users/bob"
    assert await alice_phone.receive() == []


async def _second_token(fed, name):
    from node.models import User
    from node.services import auth

    with fed.node.db:
        user = await User.get(account__username=name)
        token = await auth.issue_token(user, None, "read write follow push crypto")
    return user, token


async def test_inside_the_ciphertext_edits_deletes_receipts_timers_and_calls(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token, "olm")
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    first = await alice.send_text(bob_on_a, "helo")
    await alice.send(bob_on_a, "edit", target=first, text="hello")
    await alice.send(bob_on_a, "call.offer", call_id="c1", sdp="v=0 offer")
    await alice.send(bob_on_a, "call.ice", call_id="c1", candidate="candidate:1 1 UDP 2122 192.0.2.1 5000 typ host")
    await cluster.settle()
    got = await bob.receive()
    assert [m.type for m in got] == ["text", "edit", "call.offer", "call.ice"]
    assert got[1].content == {"target": first, "text": "hello", "seq": 2}
    assert got[2].content["sdp"] == "v=0 offer"
    alice_on_b = got[0].sender_account_id
    await bob.send(alice_on_b, "receipt", read=[first])
    await bob.send(alice_on_b, "call.answer", call_id="c1", sdp="v=0 answer")
    await bob.send(alice_on_b, "delete", target=first)
    await cluster.settle()
    back = await alice.receive()
    assert [(m.type, m.content.get("read") or m.content.get("sdp") or m.content.get("target")) for m in back] == [
        ("receipt", [first]), ("call.answer", "v=0 answer"), ("delete", first)]


async def test_disappearing_messages_are_gone_from_both_databases(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    _, alice_other = await _second_token(a, "alice")
    alice_laptop = await cluster.device(a, alice_other)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.send(bob_on_a, "timer", seconds=60)  # the timer itself travels encrypted and already expires
    await alice.send_text(bob_on_a, "this will vanish")
    await cluster.settle()
    from node.models import InboxActivity, OutboxActivity

    with a.db():
        assert await Envelope.filter(expires_at__not_isnull=True).count() == 2  # alice's laptop copies
        assert await OutboxActivity.filter(body__contains="EncryptedMessageBatch").count() == 2
    with b.db():
        assert await Envelope.filter(expires_at__not_isnull=True).count() == 2
        assert await InboxActivity.filter(type="Create").count() == 2
    later = datetime.now(UTC) + timedelta(seconds=61)
    for fed in (a, b):
        with fed.db():
            await expire_messages(fed.node.plugins.api("e2ee"), later)
    with a.db():
        assert await Envelope.all().count() == 0
        assert await OutboxActivity.filter(body__contains="EncryptedMessageBatch").count() == 0
    with b.db():
        assert await Envelope.all().count() == 0
        assert await InboxActivity.filter(type="Create").count() == 0
    assert await bob.receive() == [] and await alice_laptop.receive() == []
    # bob learnt the timer too (had he read in time): his replies would disappear as well
    assert bob.timers == {}


async def test_node_down_during_sending_receives_everything_once_in_order(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.send_text(bob_on_a, "before")  # keys fetched and a session made while node b is up
    await cluster.settle()
    assert [m.text for m in await bob.receive()] == ["before"]
    await cluster.take_down("node-b.test")
    texts = [f"while you were away {i}" for i in range(5)]
    for text in texts:
        await alice.send_text(bob_on_a, text)
    await cluster.settle()  # every attempt fails; the batches wait in node a's queue
    from node.models import Delivery

    with a.db():
        assert await Delivery.filter(state="pending").count() == 5
    await cluster.bring_up("node-b.test")
    later = datetime.now(UTC) + timedelta(hours=1)
    from federation_nodes import settle

    await settle(cluster.nodes, now=later)
    await settle(cluster.nodes, now=later)  # a second pass redelivers nothing
    got = await bob.receive()
    assert [m.text for m in got] == texts


async def test_group_spanning_two_nodes_with_leaver_and_late_joiner(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    _, carol_token = await crypto_user(b, "carol")
    _, dave_token = await crypto_user(a, "dave")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token, "olm")
    carol = await cluster.device(b, carol_token)
    dave = await cluster.device(a, dave_token, "olm")
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    carol_on_a = await account_id_on(alice, "carol@node-b.test")
    dave_on_a = await account_id_on(alice, "dave@node-a.test")
    group = await alice.create_group([bob_on_a, carol_on_a], name="trip", rotate_after_messages=50)
    await cluster.settle()
    await alice.send_group(group["id"], text="hello group")
    await cluster.settle()
    assert [m.text for m in await bob.receive()] == ["hello group"], bob.refused
    assert [m.text for m in await carol.receive()] == ["hello group"], carol.refused

    # bob (on node b) answers: encrypted once, fanned out by node b to carol and once to node a for alice
    bob_groups = await bob.api.groups()
    assert [g["uri"] for g in bob_groups] == [group["uri"]]
    await bob.send_group(bob_groups[0]["id"], text="hi from b")
    await cluster.settle()
    assert [m.text for m in await alice.receive()] == ["hi from b"], alice.refused
    assert [m.text for m in await carol.receive()] == ["hi from b"], carol.refused

    # carol leaves: the epoch moves, alice's client rotates, and carol cannot read what follows
    carol_groups = await carol.api.groups()
    await carol.api.remove_member(carol_groups[0]["id"], carol.my_id)
    await cluster.settle()
    assert (await alice.api.group(group["id"]))["epoch"] == 1
    old_session = alice.outbound[group["uri"]].session.session_id
    await alice.send_group(group["id"], text="after carol left")
    assert alice.outbound[group["uri"]].session.session_id != old_session
    await cluster.settle()
    assert [m.text for m in await bob.receive()] == ["after carol left"]
    assert await carol.receive() == []
    # even handed the ciphertext directly (as node a sent it to node b), carol's old keys do not open it
    from node.models import OutboxActivity

    with a.db():
        sent = await OutboxActivity.filter(body__contains="EncryptedGroupMessage").order_by("-id").first()
    ciphertext = json.loads(sent.body)["object"]["cipherText"]
    assert carol.inbound
    for inbound in carol.inbound.values():
        with pytest.raises(CryptoError):
            inbound.session.decrypt(ciphertext)

    # dave joins late: he reads what is sent after he joined, never what came before
    await alice.api.add_members(group["id"], [dave_on_a])
    await alice.send_group(group["id"], text="welcome dave")
    await cluster.settle()
    assert [m.text for m in await dave.receive()] == ["welcome dave"], dave.refused
    assert [m.text for m in await bob.receive()] == ["welcome dave"]
    # the session is the one "after carol left" used, but dave's copy of its key starts after that message
    assert any(i.session.session_id == alice.outbound[group["uri"]].session.session_id for i in dave.inbound.values())
    for inbound in dave.inbound.values():
        assert inbound.session.first_known_index >= 1
        with pytest.raises(CryptoError):
            inbound.session.decrypt(ciphertext)


async def test_group_messages_rotate_after_n_messages(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    group = await alice.create_group([bob_on_a], rotate_after_messages=2)
    await cluster.settle()
    sessions = []
    for i in range(5):
        await alice.send_group(group["id"], text=f"m{i}")
        sessions.append(alice.outbound[group["uri"]].session.session_id)
    assert len(set(sessions)) == 3  # m0 m1 | m2 m3 | m4
    await cluster.settle()
    assert [m.text for m in await bob.receive()] == [f"m{i}" for i in range(5)]


async def test_sending_to_an_account_without_devices_is_refused(cluster, crypto_pair):
    a, b, alice_token, _ = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    with pytest.raises(Refused):
        await alice.send_text(bob_on_a, "nobody home")


def test_deliveries_are_split_under_the_nodes_body_cap():
    """A key share with thousands of devices is several requests, each under the node's 1 MiB JSON cap
    (the server refuses larger bodies with 413) and at most MAX_DELIVERY envelopes."""
    from node.api.bodies import SMALL_BODY
    from plugins.e2ee.client.client import MAX_DELIVERY, delivery_batches

    items = [{"account_id": str(i), "device_id": "D0", "type": 0, "body": "A" * 700, "message_id": f"m-{i}"}
             for i in range(3000)]
    batches = delivery_batches(items)
    assert [i for b in batches for i in b] == items and len(batches) > 1
    assert all(len(b) <= MAX_DELIVERY and len(json.dumps({"device": b})) < SMALL_BODY for b in batches)
    assert len(delivery_batches(items[:10])) == 1
