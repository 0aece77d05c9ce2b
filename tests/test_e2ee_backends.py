"""The two backends against libolm's published Megolm ratchet vectors (../shared/interop/olm): both advance an
imported ratchet to the same bytes, and each reads the other's group and 1:1 messages."""

from __future__ import annotations

import json
import struct

import pytest
from support import INTEROP

from plugins.e2ee import signing
from plugins.e2ee.client import CryptoError, load_backend

VECTORS = json.loads((INTEROP / "olm" / "megolm_ratchet_vectors.json").read_text())


def exported(ratchet: bytes, index: int, signing_key: bytes) -> str:
    """An exported Megolm session key: version 1, the index, the ratchet, the Ed25519 public key."""
    return signing.b64encode(b"\x01" + struct.pack(">I", index) + ratchet + signing_key)


def ratchet_of(export: str) -> tuple[int, bytes]:
    raw = signing.b64decode(export)
    return struct.unpack(">I", raw[1:5])[0], raw[5:133]


@pytest.mark.parametrize("name", ["vodozemac", "olm"])
def test_both_backends_advance_the_ratchet_as_libolm_does(name):
    import olm
    import vodozemac as vz

    key = signing.b64decode(vz.Account().ed25519_key.to_base64())
    start = exported(VECTORS["initial_ratchet_ascii"].encode(), VECTORS["initial_counter"], key)
    for step in VECTORS["steps"]:
        if name == "vodozemac":
            session = vz.InboundGroupSession.import_session(vz.ExportedSessionKey(start))
            export = session.export_at(step["advance_to"]).to_base64()
        else:
            session = olm.InboundGroupSession.import_session(start)
            export = session.export_session(step["advance_to"])
        index, ratchet = ratchet_of(export)
        assert index == step["advance_to"]
        assert ratchet.hex() == step["expected_ratchet_hex"]


@pytest.mark.parametrize(("sender", "receiver"), [("vodozemac", "olm"), ("olm", "vodozemac")])
def test_backends_read_each_other(sender, receiver):
    a, b = load_backend(sender), load_backend(receiver)
    alice, bob = a.new_account(), b.new_account()
    key_id, one_time = next(iter(bob.generate_one_time_keys(1).items()))
    outbound = alice.create_outbound(bob.identity_key, one_time)
    kind, body = outbound.encrypt(b"hello across libraries")
    assert kind == 0
    inbound, plaintext = bob.create_inbound(alice.identity_key, body)
    assert plaintext == b"hello across libraries"
    assert inbound.session_id == outbound.session_id
    assert outbound.decrypt(*inbound.encrypt(b"and back")) == b"and back"
    group = a.new_outbound_group()
    first = group.encrypt(b"group 0")
    reader = b.new_inbound_group(group.session_key)  # shared after message 0: it starts at 1
    assert reader.decrypt(group.encrypt(b"group 1")) == (b"group 1", 1)
    with pytest.raises(CryptoError):
        reader.decrypt(first)
    signature = alice.sign(b"signed")
    b.verify(alice.fingerprint_key, b"signed", signature)
    del key_id
