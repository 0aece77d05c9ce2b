"""Body digests: the legacy `Digest` header (RFC 3230, `SHA-256=<b64>`, used with cavage signatures)
and `Content-Digest` (RFC 9530, `sha-256=:<b64>:`, used with RFC 9421 signatures)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from .structured import Item, StructuredFieldError, parse_dictionary, serialize_dictionary

# Strongest first; weaker algorithms (md5, sha) are never accepted.
_HASHES = {"sha-512": hashlib.sha512, "sha-256": hashlib.sha256}


class DigestMismatch(ValueError):
    """The body does not match its digest header, or the header names no algorithm we accept."""


def digest_header(body: bytes) -> str:
    """The `Digest` value Mastodon sends and expects: SHA-256 of the body, base64."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def verify_digest_header(value: str, body: bytes) -> None:
    """Raise DigestMismatch unless a SHA-256 or SHA-512 entry of a `Digest` value matches `body`."""
    checked = False
    for entry in value.split(","):
        name, sep, encoded = entry.strip().partition("=")
        algo = _HASHES.get(name.strip().lower())
        if not sep or algo is None:
            continue
        try:
            expected = base64.b64decode(encoded.strip(), validate=True)
        except ValueError as exc:
            raise DigestMismatch("Digest value is not base64") from exc
        if not hmac.compare_digest(expected, algo(body).digest()):
            raise DigestMismatch(f"Digest {name.strip()} does not match the body")
        checked = True
    if not checked:
        raise DigestMismatch("Digest header carries no SHA-256 or SHA-512 value")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """A `Content-Digest` value for `body` (sha-256 or sha-512)."""
    if algorithm not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return serialize_dictionary({algorithm: Item(_HASHES[algorithm](body).digest())})


def verify_content_digest_header(value: str, body: bytes) -> None:
    """Raise DigestMismatch unless every sha-256/sha-512 member of `Content-Digest` matches `body`."""
    try:
        members = parse_dictionary(value)
    except StructuredFieldError as exc:
        raise DigestMismatch(f"Content-Digest is not a structured dictionary: {exc}") from exc
    checked = False
    for name, member in members.items():
        algo = _HASHES.get(name)
        if algo is None:
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise DigestMismatch(f"Content-Digest {name} is not a byte sequence")
        if not hmac.compare_digest(member.value, algo(body).digest()):
            raise DigestMismatch(f"Content-Digest {name} does not match the body")
        checked = True
    if not checked:
        raise DigestMismatch("Content-Digest carries no sha-256 or sha-512 value")
