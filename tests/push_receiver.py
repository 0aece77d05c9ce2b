"""A real Web Push receiver for tests: an aiohttp server on loopback that plays the push service and the
browser at once. It checks each request's VAPID signature (RFC 8292, both the `vapid t=,k=` and the legacy
`WebPush` + `Crypto-Key: p256ecdsa=` forms) and decrypts the body with the subscription's private key
(RFC 8291 aes128gcm, or the legacy aesgcm draft through Mastodon.py's own decrypt function)."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon
from py_vapid import jwt as vapid_jwt

# Mastodon.py's decrypt needs no server: an offline client object is enough.
_MASTODON_PY = Mastodon(api_base_url="http://127.0.0.1", version_check_mode="none")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscriber's keys, as a browser's PushManager makes them."""

    name: str
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64(
            self.private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class Received:
    browser: str
    encoding: str
    payload: dict[str, Any]
    claims: dict[str, Any]
    headers: dict[str, str]


class PushReceiver:
    def __init__(self, vapid_public: str) -> None:
        self.vapid_public = vapid_public
        self.browsers: dict[str, Browser] = {}
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.answer: dict[str, int] = {}  # browser name -> status to answer instead of 201
        self.server: TestServer | None = None

    def browser(self, name: str) -> Browser:
        self.browsers[name] = Browser(name)
        return self.browsers[name]

    def endpoint(self, name: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/push/{name}"

    async def start(self) -> PushReceiver:
        app = web.Application()
        app.router.add_post("/push/{name}", self._receive)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def _vapid(self, request: web.Request) -> dict[str, Any]:
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("vapid "):
            parts = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
            token, key = parts["t"], parts["k"]
        elif authorization.startswith("WebPush "):
            token = authorization[8:]
            crypto = dict(p.strip().split("=", 1) for p in request.headers["Crypto-Key"].split(";"))
            key = crypto["p256ecdsa"]
        else:
            raise ValueError("no VAPID authorization")
        if key != self.vapid_public:
            raise ValueError("signed with another key than the node's VAPID key")
        claims = vapid_jwt.decode(token, key)  # raises InvalidSignature on a bad signature
        origin = f"http://127.0.0.1:{self.server.port}"  # type: ignore[union-attr]
        if claims.get("aud") != origin or claims.get("exp", 0) < time.time() or not claims.get("sub"):
            raise ValueError(f"bad claims {claims}")
        return claims

    async def _receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.read()
        try:
            claims = self._vapid(request)
            browser = self.browsers[name]
            encoding = request.headers["Content-Encoding"]
            if encoding == "aes128gcm":
                plain = http_ece.decrypt(
                    body, private_key=browser.private, auth_secret=browser.auth, version="aes128gcm"
                )
                payload = json.loads(plain)
            elif encoding == "aesgcm":
                private = {"privkey": browser.private.private_numbers().private_value, "auth": browser.auth}
                payload = dict(
                    _MASTODON_PY.push_subscription_decrypt_push(
                        body, private, request.headers["Encryption"], request.headers["Crypto-Key"]
                    )
                )
            else:
                raise ValueError(f"unknown encoding {encoding}")
            int(request.headers["TTL"])
        except Exception as exc:  # noqa: BLE001 - recorded for the test to see
            self.rejected.append(f"{name}: {type(exc).__name__}: {exc}")
            return web.Response(status=400)
        status = self.answer.get(name, 201)
        if status == 201:
            self.received.append(Received(name, encoding, payload, claims, dict(request.headers)))
        return web.Response(status=status)
