"""A hostile server against the E2EE clients: swapped device and one-time keys are caught by signature checks,
all-zero keys and malleable signatures are refused (with python-olm too, which would accept them), a replayed
Megolm message is shown once, and a message moved into another conversation is refused."""

from __future__ import annotations

import pytest
import vodozemac as vz
from e2ee_support import E2EECluster, account_id_on, crypto_user

from plugins.e2ee import signing
from plugins.e2ee.client import Refused
from plugins.e2ee.models import Device, Envelope, Group, OneTimeKey

CLUSTER = E2EECluster  # the cluster fixture (tests/conftest.py) makes e2ee nodes


@pytest.mark.parametrize("backend", ["vodozemac", "olm"])
async def test_a_swapped_device_key_is_detected(cluster, crypto_pair, backend):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token, backend)
    await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    # alice's own server swaps in a key it holds the secret of, keeping bob's signature
    with a.db():
        await alice.devices_of([bob_on_a])  # node a caches bob's devices
        alice.pinned.clear()
        await Device.filter(account_id=int(bob_on_a)).update(identity_key=vz.Account().curve25519_key.to_base64())
    with pytest.raises(Refused):
        await alice.send_text(bob_on_a, "for bob only")
    assert any("signature" in r for r in alice.refused)


async def test_a_re_signed_device_under_a_known_id_is_detected(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.devices_of([bob_on_a])  # pinned on first sight
    # the server makes a whole new, validly self-signed device under bob's device id
    fake = vz.Account()
    identity, fingerprint = fake.curve25519_key.to_base64(), fake.ed25519_key.to_base64()
    signed = signing.device_object("http://node-b.test/users/bob", bob.device_id, identity, fingerprint,
                                   signing.ALGORITHMS)
    with a.db():
        await Device.filter(account_id=int(bob_on_a)).update(
            identity_key=identity, fingerprint_key=fingerprint,
            signature=fake.sign(signing.canonical_json(signed)).to_base64())
    with pytest.raises(Refused):
        await alice.send_text(bob_on_a, "hello?")
    assert any("changed" in r for r in alice.refused)


@pytest.mark.parametrize("backend", ["vodozemac", "olm"])
async def test_a_swapped_one_time_key_is_detected(cluster, crypto_pair, backend):
    a, _, alice_token, _ = crypto_pair
    _, carol_token = await crypto_user(a, "carol")
    alice = await cluster.device(a, alice_token, backend)
    carol = await cluster.device(a, carol_token)
    with a.db():
        for key in await OneTimeKey.filter(device__device_id=carol.device_id):
            key.key = vz.Account().curve25519_key.to_base64()  # the server's own key, carol's signature kept
            await key.save()
    with pytest.raises(Refused):
        await alice.send_text(carol.my_id, "hi")
    assert any("one-time key" in r and "signature" in r for r in alice.refused)
    assert not alice.sessions


async def test_all_zero_keys_are_refused_even_by_the_olm_backend(cluster, crypto_pair):
    a, _, alice_token, _ = crypto_pair
    _, carol_token = await crypto_user(a, "carol")
    alice = await cluster.device(a, alice_token, "olm")
    carol = await cluster.device(a, carol_token, "olm")
    zero = signing.b64encode(bytes(32))
    # a malicious carol signs all-zero one-time keys herself (her server would refuse them on upload)
    signature = carol.account.sign(signing.canonical_json({"key": zero}))
    with a.db():
        await OneTimeKey.filter(device__device_id=carol.device_id).update(key=zero, signature=signature)
        await OneTimeKey.filter(device__device_id=carol.device_id, fallback=True).delete()
    with pytest.raises(Refused):
        await alice.send_text(carol.my_id, "hi")
    assert any("small order" in r for r in alice.refused)


async def test_malleable_device_signatures_are_refused_even_by_the_olm_backend(cluster, crypto_pair):
    a, _, alice_token, _ = crypto_pair
    _, carol_token = await crypto_user(a, "carol")
    alice = await cluster.device(a, alice_token, "olm")
    await cluster.device(a, carol_token)
    with a.db():
        device = await Device.get(device_id__not="", account_id__not=int(alice.my_id))
        raw = signing.b64decode(device.signature)
        twin = raw[:32] + (int.from_bytes(raw[32:], "little") + signing._L).to_bytes(32, "little")
        device.signature = signing.b64encode(twin)
        await device.save()
    # libolm alone would accept the twin
    import olm

    olm.ed25519_verify(device.fingerprint_key, signing.canonical_json(signing.device_object(
        "http://node-a.test/users/carol", device.device_id, device.identity_key, device.fingerprint_key,
        device.algorithms)), device.signature)
    with pytest.raises(Refused):
        await alice.send_text(str(device.account_id), "hi")
    assert any("malleable" in r for r in alice.refused)


async def test_a_replayed_megolm_message_is_shown_once(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token, "olm")
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    group = await alice.create_group([bob_on_a])
    await cluster.settle()
    await alice.send_group(group["id"], text="once")
    await cluster.settle()
    with b.db():
        original = await Envelope.filter(type=2).first()
        copy = {k: getattr(original, k) for k in ("device_id", "from_account_id", "from_device_id", "type", "body",
                                                   "group_id")}
    assert [m.text for m in await bob.receive()] == ["once"]
    with b.db():
        await Envelope.create(message_uri="replayed-1", **copy)
        await Envelope.create(message_uri="replayed-2", **copy)
    assert await bob.receive() == []


async def test_a_message_moved_to_another_conversation_is_refused(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    work = await alice.create_group([bob_on_a], name="work")
    family = await alice.create_group([bob_on_a], name="family")
    await cluster.settle()
    await alice.send_group(work["id"], text="for work")
    await alice.send_group(family["id"], text="for family")
    await cluster.settle()
    with b.db():
        family_here = await Group.get(uri=family["uri"])
        work_message = await Envelope.filter(type=2).order_by("id").first()
        # node b files the work message under the family group
        await Envelope.filter(id=work_message.id).update(group_id=family_here.id)
    got = await bob.receive()
    assert [m.text for m in got] == ["for family"]
    assert any("another group" in r for r in bob.refused)
