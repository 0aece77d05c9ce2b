"""Linked Data Signatures (RsaSignature2017), the signature inside an activity that survives being relayed.

An HTTP signature proves who *sent* a request; when a server forwards someone else's activity (ActivityPub
7.1.2 inbox forwarding) the sender is not the author, and only a signature over the document itself can
vouch for it. Mastodon signs with the 2017 scheme: SHA-256 over the URDNA2015 canonical form of the
signature options and of the document, concatenated as hex, signed with the actor's RSA key (PKCS#1 v1.5).

Canonicalisation needs every @context the document names; they are bundled (federation/as2/contexts/) and
nothing is fetched, so a document naming an unknown remote context cannot be verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

from .keys import RSA_V15_SHA256, SigningKey, VerifyKey, sign_bytes, verify_bytes

SIGNATURE_TYPE = "RsaSignature2017"
_OPTIONS_CONTEXT = "https://w3id.org/identity/v1"
_CONTEXTS_DIR = Path(__file__).resolve().parent.parent / "as2" / "contexts"
_FILES = {
    "https://www.w3.org/ns/activitystreams": "www.w3.org_ns_activitystreams.json",
    "https://w3id.org/security/v1": "w3id.org_security_v1.json",
    "https://w3id.org/identity/v1": "w3id.org_identity_v1.json",
    "https://w3id.org/security/data-integrity/v1": "w3id.org_security_data-integrity_v1.json",
    "https://w3id.org/security/data-integrity/v2": "w3id.org_security_data-integrity_v2.json",
    "https://w3id.org/security/multikey/v1": "w3id.org_security_multikey_v1.json",
    "https://www.w3.org/ns/did/v1": "www.w3.org_ns_did_v1.json",
    "https://gotosocial.org/ns": "gotosocial.org_ns.json",
    "https://w3id.org/fep/7aa9": "w3id.org_fep_7aa9.json",
    "https://w3id.org/fep/ef61": "w3id.org_fep_ef61.json",
}
_LITEPUB_PATH = "/schemas/litepub-0.1.jsonld"  # Pleroma serves its context from each host


class LDSignatureError(ValueError):
    """The document carries no usable signature, or it cannot be canonicalised offline."""


@cache
def _context(name: str) -> dict[str, Any]:
    return json.loads((_CONTEXTS_DIR / name).read_text())


def _bundled(url: str) -> str | None:
    key = url.rstrip("#").replace("http://", "https://", 1)
    return _FILES.get(key) or ("litepub-0.1.json" if key.endswith(_LITEPUB_PATH) else None)


def _load(url: str, options: Any = None) -> dict[str, Any]:
    name = _bundled(url)
    if name is None:
        raise jsonld.JsonLdError(f"context {url} is not bundled", "jsonld.LoadDocumentError",
                                 code="loading remote context failed")
    return {"contextUrl": None, "documentUrl": url, "document": _context(name)}


def _hash(doc: dict[str, Any]) -> str:
    contexts = doc.get("@context")
    for url in contexts if isinstance(contexts, list) else [contexts]:
        if isinstance(url, str) and _bundled(url) is None:
            raise LDSignatureError(f"context {url} is not bundled, so the signature cannot be checked offline")
    try:
        nquads = jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                        "documentLoader": _load})
    except jsonld.JsonLdError as exc:
        raise LDSignatureError(f"cannot canonicalise the document: {exc.args[0] if exc.args else exc}") from None
    return hashlib.sha256(nquads.encode()).hexdigest()


def _signing_input(doc: dict[str, Any], creator: str, created: str) -> bytes:
    options = {"@context": _OPTIONS_CONTEXT, "creator": creator, "created": created}
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    return (_hash(options) + _hash(unsigned)).encode()


def signature_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The document's RsaSignature2017 block, if it has a well-formed one."""
    sig = doc.get("signature")
    if (isinstance(sig, dict) and sig.get("type") == SIGNATURE_TYPE and isinstance(sig.get("creator"), str)
            and isinstance(sig.get("created"), str) and isinstance(sig.get("signatureValue"), str)):
        return sig
    return None


def sign(doc: dict[str, Any], key: SigningKey, created: datetime | None = None) -> dict[str, Any]:
    """A copy of `doc` with a signature by `key` (the document must carry its @context)."""
    stamp = (created or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    value = sign_bytes(key.key, RSA_V15_SHA256, _signing_input(doc, key.key_id, stamp))
    return {**doc, "signature": {"type": SIGNATURE_TYPE, "creator": key.key_id, "created": stamp,
                                 "signatureValue": base64.b64encode(value).decode()}}


def signed_input(doc: dict[str, Any]) -> bytes:
    """What `doc`'s signature signs (canonicalised once; LDSignatureError if it has none or cannot be)."""
    sig = signature_of(doc)
    if sig is None:
        raise LDSignatureError("the activity carries no RsaSignature2017 signature")
    return _signing_input(doc, sig["creator"], sig["created"])


def verify(doc: dict[str, Any], key: VerifyKey, data: bytes | None = None) -> bool:
    """Whether `doc`'s signature verifies with `key` (the key of its `creator`: the caller checks whose);
    `data` is `signed_input(doc)` when the caller already has it."""
    data = data if data is not None else signed_input(doc)
    try:
        value = base64.b64decode(signature_of(doc)["signatureValue"], validate=True)  # type: ignore[index]
    except (binascii.Error, ValueError):
        return False
    return verify_bytes(key, RSA_V15_SHA256, data, value)
