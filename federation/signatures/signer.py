"""Outbound request signing: the headers we add and sign on every GET and POST we send, in either
scheme (cavage-12 by default, RFC 9421 where the peer is known to accept it)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import formatdate
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from . import cavage, rfc9421
from .digest import content_digest_header, digest_header
from .keys import SigningKey
from .message import HttpMessage

Scheme = Literal["cavage", "rfc9421"]


def sign_request(
    method: str,
    url: str,
    key: SigningKey,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    scheme: Scheme = "cavage",
    now: float | None = None,
) -> dict[str, str]:
    """`headers` plus Host, Date, the body digest and the signature, ready to send.

    cavage covers `(request-target) host date` (+ `digest content-type` with a body), as Mastodon
    does; RFC 9421 covers `@method @target-uri` (+ `content-digest content-type`) with `created`.
    """
    now = time.time() if now is None else now
    out = dict(headers or {})
    probe = HttpMessage.request_of(method, url)
    # We set Host ourselves so what we sign is byte-for-byte what the HTTP client sends.
    out["Host"] = probe.authority
    out.setdefault("Date", formatdate(now, usegmt=True))
    has_body = body is not None and (bool(body) or method.upper() in ("POST", "PUT", "PATCH"))
    if scheme == "cavage":
        covered = ["(request-target)", "host", "date"]
        if has_body:
            out["Digest"] = digest_header(body or b"")
            covered.append("digest")
            if "Content-Type" in out:
                covered.append("content-type")
        message = HttpMessage.request_of(method, url, out, body)
        # Name rsa-sha256 explicitly for RSA keys: older peers reject the opaque "hs2019".
        algorithm = "rsa-sha256" if isinstance(key.key, rsa.RSAPrivateKey) else "hs2019"
        out["Signature"] = cavage.sign_message(message, key, covered, algorithm=algorithm)
        return out
    components = ["@method", "@target-uri"]
    if has_body:
        out["Content-Digest"] = content_digest_header(body or b"")
        components.append("content-digest")
        if "Content-Type" in out:
            components.append("content-type")
    message = HttpMessage.request_of(method, url, out, body)
    signed = rfc9421.sign_message(message, key, components, created=int(now))
    rfc9421.add_signature_headers(out, signed)
    return out
