"""What server and clients agree on byte for byte: canonical JSON, unpadded base64, the signed device and
one-time-key objects, and the strict checks every public key and signature must pass (no all-zero or
small-order keys, no malleable signatures). Pure Python plus `cryptography`'s Ed25519 verifier: nothing here
can decrypt anything."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALGORITHMS = ("m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2")
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493  # the Ed25519 group order: S must be below it


class KeyRefused(ValueError):
    """A key or signature that is malformed, non-contributory or malleable."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise KeyRefused("not base64 text")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRefused("not valid base64") from None


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes a signature covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def device_object(account_uri: str, device_id: str, identity_key: str, fingerprint_key: str,
                  algorithms: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The object a device signs with its Ed25519 key: binds both keys to the device and its owner."""
    return {"account": account_uri, "device_id": device_id, "algorithms": list(algorithms),
            "keys": {"curve25519": identity_key, "ed25519": fingerprint_key}}


def one_time_key_object(key: str, *, fallback: bool = False) -> dict[str, Any]:
    return {"key": key, "fallback": True} if fallback else {"key": key}


# Montgomery u-coordinates of the small-order points (and their non-canonical twins): a Diffie-Hellman
# with any of them gives a predictable secret.
_BAD_U = {0, 1, _P - 1,
          int.from_bytes(bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), "little"),
          int.from_bytes(bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), "little")}
# Encodings of the eight small-order Ed25519 points (the identity, orders 2, 4 and 8).
_BAD_ED = {bytes.fromhex(h) for h in (
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
)}


def check_curve25519(key: str) -> bytes:
    raw = b64decode(key)
    if len(raw) != 32:
        raise KeyRefused("a Curve25519 key is 32 bytes")
    u = (int.from_bytes(raw, "little") & ((1 << 255) - 1)) % _P
    if u in _BAD_U or u == (_P + 1) % _P:
        raise KeyRefused("a Curve25519 key of small order (non-contributory) is refused")
    return raw


def check_ed25519(key: str) -> bytes:
    raw = b64decode(key)
    if len(raw) != 32:
        raise KeyRefused("an Ed25519 key is 32 bytes")
    if raw in _BAD_ED:
        raise KeyRefused("an Ed25519 key of small order is refused")
    return raw


def check_signature(signature: str) -> bytes:
    raw = b64decode(signature)
    if len(raw) != 64:
        raise KeyRefused("an Ed25519 signature is 64 bytes")
    if int.from_bytes(raw[32:], "little") >= _L:
        raise KeyRefused("a malleable (non-canonical) Ed25519 signature is refused")
    return raw


def verify(fingerprint_key: str, signed: Any, signature: str) -> None:
    """Raise KeyRefused unless `signature` is a strict, valid Ed25519 signature of canonical_json(signed)."""
    key, sig = check_ed25519(fingerprint_key), check_signature(signature)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, canonical_json(signed))
    except (InvalidSignature, ValueError):
        raise KeyRefused("the signature does not verify") from None
