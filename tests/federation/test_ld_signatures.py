"""Linked Data Signatures (RsaSignature2017): real Mastodon-signed activities verify byte for byte with
their author's key, our own signatures verify (and fail when anything signed changes), and a document
whose @context is not bundled is refused rather than fetched."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fed_interop import load_json

from federation.signatures import (
    PublicKeyInfo,
    SignatureError,
    SignatureVerifier,
    SigningKey,
    ld,
    load_public_key,
)

ADMIN_KEY = json.loads((Path(__file__).parents[1] / "fixtures" / "actors" / "mastodon-example-admin-key.json").read_text())
SIGNED_BY_ADMIN = ["payloads/mastodon-follow.json", "payloads/mastodon-accept-follow.json"]


def _payload(name: str) -> dict:
    doc = load_json(name)
    return doc.get("payload", doc)


@pytest.mark.parametrize("name", SIGNED_BY_ADMIN)
def test_mastodon_signatures_verify(name: str) -> None:
    doc = _payload(name)
    key = load_public_key(ADMIN_KEY["publicKey"]["publicKeyPem"])
    assert ld.signature_of(doc)["creator"] == ADMIN_KEY["publicKey"]["id"]
    assert ld.verify(doc, key)
    tampered = copy.deepcopy(doc)
    tampered["object"] = "http://mastodon.example.org/users/someone-else"
    assert not ld.verify(tampered, key)


def test_own_signature_round_trip(signing_key: SigningKey, rsa_keypair: tuple[str, str],
                                  other_rsa_keypair: tuple[str, str]) -> None:
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                        {"toot": "http://joinmastodon.org/ns#"}],
           "id": "https://node-a.test/users/alice/statuses/1/activity", "type": "Create",
           "actor": "https://node-a.test/users/alice", "to": ["https://node-b.test/users/bob/followers"],
           "object": {"id": "https://node-a.test/users/alice/statuses/1", "type": "Note", "content": "<p>hi</p>",
                      "inReplyTo": "https://node-b.test/users/bob/statuses/9"}}
    signed = ld.sign(doc, signing_key)
    assert signed["signature"]["type"] == "RsaSignature2017"
    public = load_public_key(SigningKey.from_pem("k", rsa_keypair[0]).key.public_key())
    assert ld.verify(json.loads(json.dumps(signed)), public)  # survives re-serialisation: RDF, not bytes
    reordered = dict(reversed(list(signed.items())))
    assert ld.verify(reordered, public)
    edited = copy.deepcopy(signed)
    edited["object"]["content"] = "<p>changed</p>"
    assert not ld.verify(edited, public)
    stranger = load_public_key(SigningKey.from_pem("k", other_rsa_keypair[0]).key.public_key())
    assert not ld.verify(signed, stranger)


def test_unknown_context_is_refused_not_fetched(signing_key: SigningKey) -> None:
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://evil.example/context.jsonld"],
           "id": "https://node-a.test/a/1", "type": "Create", "actor": "https://node-a.test/users/alice"}
    with pytest.raises(ld.LDSignatureError, match="not bundled"):
        ld.sign(doc, signing_key)


async def test_verifier_checks_document_signatures_with_the_resolver() -> None:
    calls: list[tuple[str, bool]] = []

    async def resolve(key_id: str, refresh: bool) -> PublicKeyInfo | None:
        calls.append((key_id, refresh))
        key = ADMIN_KEY["publicKey"]
        return PublicKeyInfo(owner=key["owner"], public_key=key["publicKeyPem"]) if key_id == key["id"] else None

    verifier = SignatureVerifier(resolve)
    info = await verifier.verify_document(_payload("payloads/mastodon-follow.json"))
    assert info.owner == "http://mastodon.example.org/users/admin"
    forged = _payload("payloads/mastodon-follow.json")
    forged["actor"] = "http://mastodon.example.org/users/gargron"
    with pytest.raises(SignatureError, match="does not verify"):
        await verifier.verify_document(forged)
    with pytest.raises(SignatureError, match="no RsaSignature2017"):
        await verifier.verify_document({"id": "x", "type": "Follow"})
