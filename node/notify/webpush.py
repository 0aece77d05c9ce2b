"""Web Push: Mastodon's push subscriptions (one per access token or browser session), payloads encrypted for
the subscriber (RFC 8291 aes128gcm when the subscription is `standard`, else the legacy aesgcm draft that
Mastodon used first and most apps and Mastodon.py still read), signed with the node's VAPID key (RFC 8292),
and the worker that sends push jobs with retry, backoff and give-up, dropping a subscription its push
service says is gone (404/410)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.client import BlockedDestinationError, FetchError
from federation.netguard import ip_literal, is_public_address

from ..activitypub import state as federation_state
from ..activitypub.delivery import backoff
from ..errors import ValidationFailed
from ..models import ChannelJob, OAuthToken, PushSubscription, User, WebSession
from ..runtime import Node
from . import messages, preferences
from .state import of as channels_of

log = logging.getLogger(__name__)

POLICIES = ("all", "followed", "follower", "none")
# Alert names Mastodon clients send: ours plus Mastodon's newer ones (stored, so clients read back what they set).
ALERTS: tuple[str, ...] = tuple(dict.fromkeys((*preferences.TYPES, "quote", "quoted_update")))
TTL = 48 * 3600  # as Mastodon: a push service keeps an undelivered message two days
GIVE_UP = timedelta(hours=24)
BATCH = 500
CONCURRENCY_PER_HOST = 16
VAPID_LIFETIME = 12 * 3600  # RFC 8292 allows up to 24 h
VAPID_REUSE = 3600  # a signed token is reused for this long, then signed afresh
# Names that only mean something inside a local network (a push service is always a public host).
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")


# -- subscriptions ---------------------------------------------------------------------------------


def _b64decode(field: str, value: Any) -> bytes:
    """Browsers send base64url without padding, Mastodon.py plain base64: both are accepted."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{field}: missing")
    text = value.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{field}: not base64") from None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def check_endpoint(node: Node, endpoint: Any) -> str:
    """An endpoint we may POST to: https (plain http only to loopback on a node that allows private
    addresses, for local testing), never a private address unless allowed, by the federation client's rules."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationFailed("subscription[endpoint]: missing")
    if len(endpoint) > 2048:
        raise ValidationFailed("subscription[endpoint]: longer than 2048 characters")
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise ValidationFailed("subscription[endpoint]: must be a URL with a host and no credentials")
    allow_private = node.config.federation.allow_private_addresses
    literal = ip_literal(host)
    loopback = host == "localhost" or (literal is not None and literal.is_loopback)
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_private and loopback):
        raise ValidationFailed("subscription[endpoint]: must be an https URL")
    if not allow_private:
        if literal is not None and not is_public_address(literal):
            raise ValidationFailed(f"subscription[endpoint]: address {literal} is not public")
        if literal is None and (host.endswith(_LOCAL_NAMES) or host in _LOCAL_NAMES or "." not in host):
            raise ValidationFailed(f"subscription[endpoint]: host {host} is not a public name")
    if node.federation is not None:  # the federation client's own checks (schemes, credentials, literals)
        try:
            node.federation.client.check_destination(endpoint)
        except BlockedDestinationError as exc:
            raise ValidationFailed(f"subscription[endpoint]: {exc.reason}") from None
    return endpoint


def check_keys(p256dh: Any, auth: Any) -> tuple[str, str]:
    point = _b64decode("subscription[keys][p256dh]", p256dh)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ValidationFailed("subscription[keys][p256dh]: not a P-256 public key") from None
    if len(point) != 65:
        raise ValidationFailed("subscription[keys][p256dh]: must be an uncompressed P-256 point (65 bytes)")
    secret = _b64decode("subscription[keys][auth]", auth)
    if len(secret) != 16:
        raise ValidationFailed("subscription[keys][auth]: must be 16 bytes")
    return _b64(point), _b64(secret)


def check_alerts(raw: Any, *, admin: bool) -> dict[str, bool]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed("data[alerts]: must be an object of type -> true/false")
    alerts = {}
    for kind, value in raw.items():
        if kind not in ALERTS:
            raise ValidationFailed(f"data[alerts][{kind}]: unknown notification type")
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            value = value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise ValidationFailed(f"data[alerts][{kind}]: must be true or false")
        # Mastodon ignores admin alerts for accounts that cannot see admin notifications.
        alerts[kind] = value and (admin or not kind.startswith("admin."))
    return alerts


def check_policy(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in POLICIES:
        raise ValidationFailed(f"data[policy]: must be one of {', '.join(POLICIES)}")
    return value


def entity(node: Node, sub: PushSubscription) -> dict[str, Any]:
    """Mastodon's WebPushSubscription."""
    return {
        "id": str(sub.id),
        "endpoint": sub.endpoint,
        "standard": sub.standard,
        "alerts": {kind: bool(sub.alerts.get(kind, False)) for kind in ALERTS},
        "policy": sub.policy,
        "server_key": channels_of(node).vapid_public,
    }


async def subscribe(
    node: Node,
    user: User,
    credential: str,
    *,
    endpoint: Any,
    p256dh: Any,
    auth: Any,
    alerts: Any,
    policy: Any,
    standard: bool,
) -> PushSubscription:
    """Create the credential's subscription, replacing the one it had (Mastodon keeps one per token)."""
    values = {
        "endpoint": check_endpoint(node, endpoint),
        "alerts": check_alerts(alerts, admin=user.admin),
        "policy": check_policy(policy) or "all",
        "standard": standard,
    }
    values["p256dh"], values["auth"] = check_keys(p256dh, auth)
    async with in_transaction():
        await PushSubscription.filter(credential_hash=credential).delete()
        return await PushSubscription.create(account_id=user.account_id, credential_hash=credential, **values)


async def current(credential: str) -> PushSubscription | None:
    return await PushSubscription.filter(credential_hash=credential).first()


async def change(user: User, sub: PushSubscription, *, alerts: Any, policy: Any) -> PushSubscription:
    """PUT: only data[alerts] (merged) and data[policy] change."""
    merged = {**sub.alerts, **check_alerts(alerts, admin=user.admin)}
    chosen = check_policy(policy) or sub.policy
    await PushSubscription.filter(id=sub.id).update(alerts=merged, policy=chosen)
    return await PushSubscription.get(id=sub.id)


async def unsubscribe(credential: str) -> None:
    await PushSubscription.filter(credential_hash=credential).delete()


async def _alive(subs: list[PushSubscription]) -> set[int]:
    """Subscriptions whose token or session still exists: a subscription lives as long as its credential."""
    tokens = {s.credential_hash.partition(":")[2] for s in subs if s.credential_hash.startswith("token:")}
    sessions = {s.credential_hash.partition(":")[2] for s in subs if s.credential_hash.startswith("session:")}
    live = (
        {
            "token:" + h
            for h in await OAuthToken.filter(token_hash__in=list(tokens), revoked_at=None).values_list(
                "token_hash", flat=True
            )
        }
        if tokens
        else set()
    )
    if sessions:
        live |= {
            "session:" + h
            for h in await WebSession.filter(session_hash__in=list(sessions)).values_list(
                "session_hash", flat=True
            )
        }
    return {s.id for s in subs if s.credential_hash in live}


# -- encryption and signing ------------------------------------------------------------------------


def vapid_headers(node: Node, endpoint: str, *, standard: bool) -> dict[str, str]:
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    channels = channels_of(node)
    now = time.time()
    cached = channels.vapid_tokens.get(audience)
    if cached is None or cached[1] - now < VAPID_LIFETIME - VAPID_REUSE:
        expires = int(now) + VAPID_LIFETIME
        sub = f"mailto:{node.config.mail.sender}" if node.config.mail.sender else node.base_url
        cached = (vapid_jwt.sign({"aud": audience, "exp": expires, "sub": sub}, channels.vapid_key), expires)
        channels.vapid_tokens[audience] = cached
    token = cached[0]
    if standard:
        return {"Authorization": f"vapid t={token},k={channels.vapid_public}"}
    return {"Authorization": f"WebPush {token}", "Crypto-Key": f"p256ecdsa={channels.vapid_public}"}


def encrypt(sub: PushSubscription, payload: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and encoding headers for one message; a fresh sender key (and salt) every time."""
    sender = ec.generate_private_key(ec.SECP256R1())
    receiver = _b64decode("p256dh", sub.p256dh)
    secret = _b64decode("auth", sub.auth)
    if sub.standard:
        body = http_ece.encrypt(
            payload, private_key=sender, dh=receiver, auth_secret=secret, version="aes128gcm"
        )
        return body, {"Content-Encoding": "aes128gcm"}
    salt = os.urandom(16)
    body = http_ece.encrypt(
        payload, salt=salt, private_key=sender, dh=receiver, auth_secret=secret, version="aesgcm"
    )
    sender_public = sender.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return body, {
        "Content-Encoding": "aesgcm",
        "Encryption": f"salt={_b64(salt)}",
        "Crypto-Key": f"dh={_b64(sender_public)}",
    }


def request_for(node: Node, sub: PushSubscription, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body, headers = encrypt(sub, json.dumps(payload, ensure_ascii=False).encode())
    signed = vapid_headers(node, sub.endpoint, standard=sub.standard)
    if "Crypto-Key" in signed:  # the legacy draft carries the VAPID key beside the sender key
        headers["Crypto-Key"] = f"{headers['Crypto-Key']};{signed.pop('Crypto-Key')}"
    return body, {
        **headers,
        **signed,
        "TTL": str(TTL),
        "Urgency": "normal",
        "Content-Type": "application/octet-stream",
    }


def payload_for(job: ChannelJob, known: dict[int, messages.Line], locale: str) -> dict[str, Any] | None:
    """Mastodon's push payload (notification_id, notification_type, title, body, icon, preferred_locale);
    a summary carries the newest notification and says how many there were. None if all were dismissed."""
    lines = sorted(
        (known[i] for i in job.notification_ids if i in known), key=lambda line: -line.notification.id
    )
    if not lines:
        return None
    newest = lines[0]
    if job.kind == "summary":
        title, body = messages.summary_title(lines), "; ".join(line.title for line in lines[:5])
    else:
        title, body = newest.title, newest.body
    return {
        "notification_id": str(newest.notification.id),
        "notification_type": newest.notification.type,
        "title": title,
        "body": body,
        "icon": newest.icon,
        "preferred_locale": locale,
        "url": newest.url,
    }


# -- the worker ------------------------------------------------------------------------------------


class _Gone(Exception):
    """The push service says the subscription no longer exists."""


async def _send(node: Node, sub: PushSubscription, payload: dict[str, Any]) -> None:
    body, headers = request_for(node, sub, payload)
    client = federation_state.of(node).client
    resp = await client.request(
        "POST", sub.endpoint, headers=headers, body=body, max_bytes=16 * 1024, follow_redirects=False
    )
    if resp.status in (404, 410):
        raise _Gone()
    if not 200 <= resp.status < 300:
        raise FetchError(sub.endpoint, f"HTTP {resp.status}", status=resp.status)


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, BlockedDestinationError):
        return True
    status = getattr(exc, "status", None)
    return status is not None and 400 <= status < 500 and status not in (408, 429)


async def run_once(node: Node, now: datetime | None = None) -> int:
    """Send every push job due at `now`; returns how many were attempted."""
    now = now or datetime.now(UTC)
    jobs = list(
        await ChannelJob.filter(channel="push", state="pending", due_at__lte=now)
        .order_by("due_at", "id")
        .limit(BATCH)
    )
    if not jobs:
        return 0
    subs = {s.id: s for s in await PushSubscription.filter(id__in=list({j.subscription_id for j in jobs}))}
    locales = dict(
        await User.filter(account_id__in=list({j.account_id for j in jobs})).values_list(
            "account_id", "locale"
        )
    )
    alive = await _alive(list(subs.values()))
    known = await messages.lines_by_id(node, list({i for j in jobs for i in j.notification_ids}))
    limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(CONCURRENCY_PER_HOST))

    async def attempt(job: ChannelJob) -> Exception | None | str:
        sub = subs.get(job.subscription_id)
        if sub is None or sub.id not in alive:
            return "gone"
        payload = payload_for(job, known, locales.get(job.account_id, "en"))
        if payload is None:
            return "nothing"
        async with limits[urlsplit(sub.endpoint).netloc]:
            try:
                await _send(node, sub, payload)
            except _Gone:
                return "gone"
            except Exception as exc:  # noqa: BLE001 - one failure must not stop the batch
                return exc
        return None

    outcomes = await asyncio.gather(*(attempt(j) for j in jobs))
    sent = [
        job.id for job, outcome in zip(jobs, outcomes, strict=True) if outcome is None or outcome == "nothing"
    ]
    async with in_transaction():
        if sent:
            await ChannelJob.filter(id__in=sent).update(state="sent", attempts=F("attempts") + 1)
        for job, outcome in zip(jobs, outcomes, strict=True):
            if outcome is None or outcome == "nothing":
                continue
            if outcome == "gone":
                await ChannelJob.filter(id=job.id).update(state="failed", last_error="subscription is gone")
                if job.subscription_id:
                    await PushSubscription.filter(id=job.subscription_id).delete()
            else:
                assert isinstance(outcome, Exception)
                reason = str(getattr(outcome, "reason", None) or outcome)[:500]
                if _permanent(outcome):
                    new_state, due = "failed", job.due_at
                elif now - job.created_at >= GIVE_UP:
                    new_state, due = "given_up", job.due_at
                else:
                    new_state, due = "pending", now + timedelta(seconds=backoff(job.attempts + 1))
                await ChannelJob.filter(id=job.id).update(
                    state=new_state, due_at=due, attempts=job.attempts + 1, last_error=reason
                )
                log.info(
                    "push to %s failed: %s",
                    subs[job.subscription_id].endpoint if job.subscription_id in subs else "?",
                    reason,
                )
    return len(jobs)


async def drain(node: Node, now: datetime | None = None) -> int:
    total = 0
    while attempted := await run_once(node, now):
        total += attempted
    return total
