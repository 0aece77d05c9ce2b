"""draft-cavage-http-signatures-12 as the fediverse speaks it (Mastodon, Pleroma, GoToSocial...):
the `Signature` header, its signing string, and signing/verifying one message."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .keys import (
    ECDSA_P256_SHA256,
    ED25519,
    HMAC_SHA256,
    RSA_PSS_SHA512,
    RSA_V15_SHA256,
    SigningKey,
    SignKey,
    VerifyKey,
    default_algorithm,
    sign_bytes,
    verify_bytes,
)
from .message import HttpMessage

# What Mastodon signs on a POST; GETs drop digest and content-type.
POST_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
GET_HEADERS = ("(request-target)", "host", "date")

# cavage algorithm names -> RFC 9421 primitive names. hs2019 is resolved from the key instead.
_ALGORITHMS = {
    "rsa-sha256": RSA_V15_SHA256,
    "hmac-sha256": HMAC_SHA256,
    "ecdsa-sha256": ECDSA_P256_SHA256,
    "ed25519": ED25519,
}

_PARAM_RE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')


class CavageError(ValueError):
    """A Signature header is malformed or names a header the message lacks."""


@dataclass(frozen=True)
class CavageSignature:
    """A parsed `Signature` header."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def parse_signature_header(value: str) -> CavageSignature:
    """Parse a `Signature` header (or an `Authorization: Signature ...` value)."""
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = _PARAM_RE.match(text, pos)
        if not m or m.end() == pos:
            raise CavageError(f"malformed Signature header near {text[pos:pos + 20]!r}")
        quoted, bare = m.group(2), m.group(3)
        params[m.group(1)] = quoted.replace('\\"', '"') if quoted is not None else bare
        pos = m.end()
    if not params.get("keyId"):
        raise CavageError("Signature header has no keyId")
    if not params.get("signature"):
        raise CavageError("Signature header has no signature")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError as exc:
        raise CavageError("signature is not base64") from exc
    # No headers parameter: cavage-12 says "(created)", but Mastodon and the spec's own Appendix C
    # vector sign "date"; we follow the deployed behaviour.
    headers = tuple(params.get("headers", "date").lower().split())
    try:
        created = int(params["created"]) if "created" in params else None
        expires = int(params["expires"]) if "expires" in params else None
    except ValueError as exc:
        raise CavageError("created/expires are not integers") from exc
    return CavageSignature(params["keyId"], params.get("algorithm"), headers, signature, created, expires)


def signing_string(
    message: HttpMessage, headers: Sequence[str], created: int | None = None, expires: int | None = None
) -> str:
    """The exact text that is signed for `headers` of `message`."""
    lines = []
    for name in headers:
        name = name.lower()
        if name == "(request-target)":
            lines.append(f"(request-target): {message.method.lower()} {message.request_target}")
        elif name == "(created)":
            if created is None:
                raise CavageError("(created) is covered but the signature has no created parameter")
            lines.append(f"(created): {created}")
        elif name == "(expires)":
            if expires is None:
                raise CavageError("(expires) is covered but the signature has no expires parameter")
            lines.append(f"(expires): {expires}")
        else:
            value = message.combined_header(name)
            if value is None:
                raise CavageError(f"covered header {name!r} is missing from the message")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _primitive(algorithm: str | None, key: SignKey | VerifyKey) -> str:
    if algorithm is None or algorithm.lower() == "hs2019":
        return default_algorithm(key)
    try:
        return _ALGORITHMS[algorithm.lower()]
    except KeyError:
        raise CavageError(f"unsupported algorithm {algorithm!r}") from None


def sign_message(
    message: HttpMessage,
    key: SigningKey,
    headers: Sequence[str] = POST_HEADERS,
    *,
    algorithm: str = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The `Signature` header value for `message`; covered headers must already be set on it."""
    text = signing_string(message, headers, created, expires)
    raw = sign_bytes(key.key, _primitive(algorithm, key.key), text.encode("utf-8"))
    parts = [f'keyId="{key.key_id}"', f'algorithm="{algorithm}"']
    if created is not None:
        parts.append(f"created={created}")
    if expires is not None:
        parts.append(f"expires={expires}")
    parts.append(f'headers="{" ".join(h.lower() for h in headers)}"')
    parts.append(f'signature="{base64.b64encode(raw).decode("ascii")}"')
    return ",".join(parts)


def verify_message(message: HttpMessage, parsed: CavageSignature, key: VerifyKey) -> bool:
    """True when the parsed signature is valid for `message` under `key`."""
    algorithm = (parsed.algorithm or "hs2019").lower()
    pseudo = {"(created)", "(expires)"} & set(parsed.headers)
    # cavage-12 2.3: (created)/(expires) are an error with the algorithm-named (non-hs2019) schemes.
    if pseudo and algorithm.startswith(("rsa", "hmac", "ecdsa")):
        return False
    text = signing_string(message, parsed.headers, parsed.created, parsed.expires).encode("utf-8")
    primitive = _primitive(parsed.algorithm, key)
    if verify_bytes(key, primitive, text, parsed.signature):
        return True
    # hs2019 with an RSA key: a few implementations chose PSS; accept that too.
    return algorithm == "hs2019" and primitive == RSA_V15_SHA256 and verify_bytes(
        key, RSA_PSS_SHA512, text, parsed.signature
    )
