"""The device and key store: devices per account with their public keys (Curve25519 identity, Ed25519
fingerprint, the signed device object), one-time keys claimed at most once, the fallback key, and cached
copies of remote accounts' devices fetched from their `devices` collection."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from node.plugin_api import AccountInfo, NodeApi

from . import signing
from .errors import BadRequest, Invalid, NotFound
from .models import Device, OneTimeKey

DEVICE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_KEYS_PER_UPLOAD = 100
MAX_STORED_KEYS = 200
REMOTE_CACHE = timedelta(minutes=5)  # remote device lists are refetched after this (or when announced)


@dataclass(frozen=True)
class Upload:
    """A parsed keys upload: the device fields, one-time keys and fallback key, all as sent."""

    device: dict[str, Any]
    one_time_keys: list[dict[str, Any]]
    fallback_key: dict[str, Any] | None


def account_uri(api: NodeApi, account: AccountInfo) -> str:
    return account.uri or api.url(f"/users/{account.username}")


def _check_key(value: Any, what: str, check: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"{what} is missing")
    try:
        check(value)
    except signing.KeyRefused as exc:
        raise Invalid(f"{what}: {exc}") from None
    return value


def _checked_key(raw: Any, fingerprint_key: str, *, fallback: bool) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequest("each one-time key needs key_id, key and signature")
    key_id = raw.get("key_id")
    if not isinstance(key_id, str) or not DEVICE_ID.match(key_id):
        raise Invalid("key_id must be 1-64 letters, digits, - or _")
    key = _check_key(raw.get("key"), f"one-time key {key_id}", signing.check_curve25519)
    signature = raw.get("signature") or ""
    if signature:
        try:
            signing.verify(fingerprint_key, signing.one_time_key_object(key, fallback=fallback), signature)
        except signing.KeyRefused as exc:
            raise Invalid(f"one-time key {key_id}: {exc}") from None
    return {"key_id": key_id, "key": key, "signature": signature}


async def upload(api: NodeApi, account: AccountInfo, token_digest: str, data: Upload) -> tuple[Device, bool]:
    """Register or refresh the device bound to this access token and add its keys; returns the device and
    whether it is new (its owner's device list changed). All or nothing."""
    device = await Device.filter(token_digest=token_digest, account_id=account.id, local=True).first()
    fields = data.device
    if device is None:
        device_id = fields.get("device_id")
        if not isinstance(device_id, str) or not DEVICE_ID.match(device_id):
            raise Invalid("device[device_id] must be 1-64 letters, digits, - or _")
        identity = _check_key(fields.get("identity_key"), "device[identity_key]", signing.check_curve25519)
        fingerprint = _check_key(fields.get("fingerprint_key"), "device[fingerprint_key]", signing.check_ed25519)
        existing = await Device.filter(account_id=account.id, device_id=device_id, local=True).first()
        if existing is not None and (existing.identity_key, existing.fingerprint_key) != (identity, fingerprint):
            raise Invalid(f"device {device_id} exists with other keys; register a new device id")
    else:
        identity, fingerprint, device_id = device.identity_key, device.fingerprint_key, device.device_id
        existing = device
        for name, current in (("identity_key", identity), ("fingerprint_key", fingerprint), ("device_id", device_id)):
            if fields.get(name) not in (None, "", current):
                raise Invalid(f"device[{name}] cannot change; register a new device")
    algorithms = fields.get("algorithms") or (existing.algorithms if existing else list(signing.ALGORITHMS))
    if not isinstance(algorithms, list) or not all(isinstance(a, str) and a for a in algorithms):
        raise Invalid("device[algorithms] must be a list of algorithm names")
    signature = fields.get("signature") or (existing.signature if existing else "")
    if signature and (existing is None or signature != existing.signature):
        signed = signing.device_object(account_uri(api, account), device_id, identity, fingerprint, algorithms)
        try:
            signing.verify(fingerprint, signed, signature)
        except signing.KeyRefused as exc:
            raise Invalid(f"device[signature]: {exc}") from None
    name = fields.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 128):
        raise Invalid("device[name] must be at most 128 characters")
    if len(data.one_time_keys) > MAX_KEYS_PER_UPLOAD:
        raise Invalid(f"at most {MAX_KEYS_PER_UPLOAD} one-time keys per upload")
    keys = [_checked_key(k, fingerprint, fallback=False) for k in data.one_time_keys]
    fallback = _checked_key(data.fallback_key, fingerprint, fallback=True) if data.fallback_key else None
    async with in_transaction():
        created = existing is None
        if existing is None:
            device = await Device.create(account_id=account.id, device_id=device_id, name=name or "",
                                         identity_key=identity, fingerprint_key=fingerprint, algorithms=algorithms,
                                         signature=signature, token_digest=token_digest, local=True)
        else:
            device = existing
            device.token_digest = token_digest
            device.algorithms, device.signature = algorithms, signature
            if name is not None:
                device.name = name
            await device.save()
        if keys:
            stored = await OneTimeKey.filter(device=device, fallback=False).count()
            if stored + len(keys) > MAX_STORED_KEYS:
                raise Invalid(f"a device keeps at most {MAX_STORED_KEYS} one-time keys")
            if await OneTimeKey.filter(device=device, fallback=False, key_id__in=[k["key_id"] for k in keys]).exists():
                raise Invalid("a one-time key with that key_id was uploaded already")
            await OneTimeKey.bulk_create([OneTimeKey(device=device, **k) for k in keys])
        if fallback is not None:
            await OneTimeKey.filter(device=device, fallback=True).delete()
            await OneTimeKey.create(device=device, fallback=True, **fallback)
    return device, created


async def current_device(account: AccountInfo, token_digest: str) -> Device:
    device = await Device.filter(token_digest=token_digest, account_id=account.id, local=True).first()
    if device is None:
        raise NotFound("This access token has no device; upload its keys first")
    return device


async def remove_device(account: AccountInfo, token_digest: str) -> Device:
    device = await current_device(account, token_digest)
    await device.delete()
    return device


async def counts(device: Device) -> dict[str, Any]:
    return {"one_time_keys": await OneTimeKey.filter(device=device, fallback=False).count(),
            "fallback_key": await OneTimeKey.filter(device=device, fallback=True).exists()}


# ---- claims ------------------------------------------------------------------------------------------------


async def claim_local(device: Device) -> OneTimeKey | None:
    """Hand out one of the device's one-time keys, each at most once, else its fallback key.

    The DELETE is the claim: two claimants may pick the same candidate, but only one DELETE removes the row,
    and the other tries again, on SQLite and PostgreSQL alike."""
    while True:  # every lost race means another claimant took a key, so this ends
        candidates = await OneTimeKey.filter(device=device, fallback=False).order_by("id").limit(8)
        if not candidates:
            break
        candidate = random.choice(candidates)  # spread concurrent claimants over several rows
        if await OneTimeKey.filter(id=candidate.id).delete():
            return candidate
    return await OneTimeKey.filter(device=device, fallback=True).first()


def claim_document(device: Device, key: OneTimeKey) -> dict[str, Any]:
    """A claimed key as the `claim` endpoint answers a remote server (Mastodon's Curve25519Key shape)."""
    return {"type": "Curve25519Key", "keyId": key.key_id, "publicKeyBase64": key.key, "deviceId": device.device_id,
            "fallback": key.fallback,
            "signature": {"type": "Ed25519Signature", "signatureValue": key.signature}}


async def claim(api: NodeApi, account_id: Any, device_id: Any) -> dict[str, Any] | None:
    """Claim a key of any account's device (remote ones through their server); None when there is none."""
    account = await api.get_account(account_id) if account_id not in (None, "") else None
    if account is None or not isinstance(device_id, str):
        return None
    if account.local:
        device = await Device.filter(account_id=account.id, device_id=device_id, local=True).first()
        key = await claim_local(device) if device is not None else None
        if key is None:
            return None
        return {"account_id": str(account.id), "device_id": device_id, "key_id": key.key_id, "key": key.key,
                "signature": key.signature, "fallback": key.fallback}
    device = await Device.filter(account_id=account.id, device_id=device_id, local=False).first()
    if device is None:
        await remote_devices(api, account, refresh=True)
        device = await Device.filter(account_id=account.id, device_id=device_id, local=False).first()
    if device is None or not device.claim_url:
        return None
    from federation.client import FetchError

    try:
        status, doc = await api.post_document(device.claim_url, {"id": device_id})
    except FetchError:
        return None
    if status != 200 or not isinstance(doc, dict) or not isinstance(doc.get("publicKeyBase64"), str):
        return None
    signature = doc.get("signature") if isinstance(doc.get("signature"), dict) else {}
    return {"account_id": str(account.id), "device_id": device_id, "key_id": str(doc.get("keyId", ""))[:64],
            "key": doc["publicKeyBase64"][:64], "signature": str(signature.get("signatureValue", ""))[:128],
            "fallback": bool(doc.get("fallback"))}


# ---- queries -----------------------------------------------------------------------------------------------


def device_entity(device: Device, account: AccountInfo | None = None) -> dict[str, Any]:
    """Mastodon's device entity (device_id, name, identity_key, fingerprint_key), plus our algorithms and
    signature so that clients can check the keys themselves."""
    return {"device_id": device.device_id, "name": device.name, "identity_key": device.identity_key,
            "fingerprint_key": device.fingerprint_key, "algorithms": device.algorithms,
            "signature": device.signature}


async def devices_of(api: NodeApi, account: AccountInfo) -> list[Device]:
    if account.local:
        return await Device.filter(account_id=account.id, local=True).order_by("id")
    return await remote_devices(api, account)


async def remote_devices(api: NodeApi, account: AccountInfo, *, refresh: bool = False) -> list[Device]:
    """A remote account's devices: the cached copy, refetched from its actor's `devices` collection when
    older than REMOTE_CACHE (or asked to)."""
    cached = await Device.filter(account_id=account.id, local=False).order_by("id")
    fresh = cached and min(d.updated_at for d in cached) > datetime.now(UTC) - REMOTE_CACHE
    if fresh and not refresh:
        return cached
    from federation.client import FetchError

    from .federation import parse_device_collection

    try:
        actor = await api.fetch_document(account.uri or "")
        url = actor.get("devices")
        if not isinstance(url, str):
            return cached
        collection = await api.fetch_document(url)
    except FetchError:
        return cached
    await store_remote_devices(account, parse_device_collection(collection))
    return await Device.filter(account_id=account.id, local=False).order_by("id")


async def store_remote_devices(account: AccountInfo, devices: list[dict[str, Any]]) -> None:
    """Replace the cached copy of a remote account's device list (as its server published it)."""
    now = datetime.now(UTC)
    async with in_transaction():
        keep = [d["device_id"] for d in devices]
        await Device.filter(account_id=account.id, local=False).exclude(device_id__in=keep).delete()
        for d in devices:
            row = await Device.filter(account_id=account.id, device_id=d["device_id"], local=False).first()
            if row is None:
                await Device.create(account_id=account.id, local=False, **d)
            else:
                row.update_from_dict(d)
                row.updated_at = now
                await row.save()
