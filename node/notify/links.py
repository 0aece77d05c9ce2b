"""Signed links in mails: one-click unsubscribe (per type), email confirmation and password reset. A link is
`<payload>.<HMAC-SHA256>` with the node's link secret, so nothing needs storing and nobody can forge one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from ..errors import BadRequest


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(secret: bytes, purpose: str, **claims: Any) -> str:
    body = _b64(json.dumps({"p": purpose, **claims}, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(secret: bytes, purpose: str, token: str, now: datetime | None = None) -> dict[str, Any]:
    """The claims of a token made by `sign` for `purpose` (and not past its `exp`, if it has one)."""
    body, _, mac = (token or "").partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(mac, expected):
        raise BadRequest("This link is not valid")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if claims.get("p") != purpose:
        raise BadRequest("This link is not valid")
    if "exp" in claims and now is not None and now.timestamp() > claims["exp"]:
        raise BadRequest("This link has expired")
    return claims


def password_fingerprint(password_hash: str) -> str:
    """Ties a reset link to the password it replaces, so the link works once."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
