"""The device and key store: devices per account with their public keys (Curve25519 identity, Ed25519
fingerprint, the signed device object), one-time keys claimed at most once, the fallback key, and cached
copies of remote accounts' devices fetched from their `devices` collection."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from tortoise.functions import Min
from tortoise.transactions import in_transaction

from node.plugin_api import AccountInfo, NodeApi

from . import signing
from .errors import BadRequest, Invalid, NotFound
from .models import Device, OneTimeKey

DEVICE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_KEYS_PER_UPLOAD = 100
MAX_STORED_KEYS = 200
REMOTE_CACHE = timedelta(minutes=5)  # remote device lists are refetched after this (or when announced)
MAX_PER_REQUEST = 2000  # accounts per query, devices per claim: a 1,500-member group in one or two calls
CHUNK = 500  # ids per IN (...) list, under every driver's bound-parameter limit


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


class ClaimedKey(NamedTuple):
    id: int
    device_id: int
    key_id: str
    key: str
    signature: str
    fallback: bool


class _Raced(Exception):
    """Another claimant took one of the keys picked for a batch claim (rolls the batch back)."""


async def claim_local_many(device_ids: list[int]) -> dict[int, ClaimedKey]:
    """`claim_local` for many devices (by row id) in a few statements, since a group key share claims
    thousands at once: the lowest unclaimed key of each device, deleted in one statement. If that statement
    removed fewer rows than it picked, someone claimed concurrently: the batch rolls back and each of its
    devices claims on its own. Devices with no one-time key left get their fallback key."""
    claimed: dict[int, ClaimedKey] = {}
    for start in range(0, len(device_ids), CHUNK):
        part = device_ids[start:start + CHUNK]
        firsts = await (OneTimeKey.filter(device_id__in=part, fallback=False).annotate(first=Min("id"))
                        .group_by("device_id").values_list("first", flat=True))
        picked = [ClaimedKey(*row) for row in
                  await OneTimeKey.filter(id__in=list(firsts)).values_list(*ClaimedKey._fields)]
        try:
            if len(picked) != len(firsts):  # claimed by someone else between the two reads
                raise _Raced
            async with in_transaction():
                if await OneTimeKey.filter(id__in=[k.id for k in picked]).delete() != len(picked):
                    raise _Raced
        except _Raced:
            for device in await Device.filter(id__in=part):
                if (key := await claim_local(device)) is not None:
                    claimed[device.id] = ClaimedKey(*(getattr(key, f) for f in ClaimedKey._fields))
            continue
        claimed.update({k.device_id: k for k in picked})
    without = [i for i in device_ids if i not in claimed]
    for start in range(0, len(without), CHUNK):
        for row in await OneTimeKey.filter(device_id__in=without[start:start + CHUNK],
                                           fallback=True).values_list(*ClaimedKey._fields):
            claimed.setdefault(row[1], ClaimedKey(*row))
    return claimed


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


async def claim_many(api: NodeApi, wanted: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """`claim` for many (account id, device id) pairs, in their order; local devices in a few statements,
    remote ones through their servers. Pairs naming nothing are left out."""
    if len(wanted) > MAX_PER_REQUEST:
        raise Invalid(f"at most {MAX_PER_REQUEST} devices per claim")
    accounts = await api.get_accounts(str(a) for a, d in wanted if isinstance(d, str))
    pairs = [(accounts[str(a)], d) for a, d in wanted if isinstance(d, str) and str(a) in accounts]
    local_ids = list({account.id for account, _ in pairs if account.local})
    devices: dict[tuple[int, str], int] = {}
    for start in range(0, len(local_ids), CHUNK):
        for row_id, account_id, device_id in await Device.filter(
                account_id__in=local_ids[start:start + CHUNK], local=True).values_list("id", "account_id", "device_id"):
            devices[(account_id, device_id)] = row_id
    asked = {devices[(a.id, d)] for a, d in pairs if a.local and (a.id, d) in devices}
    keys = await claim_local_many(sorted(asked))
    results = []
    for account, device_id in pairs:
        if not account.local:
            if (found := await claim(api, account.id, device_id)) is not None:
                results.append(found)
            continue
        row_id = devices.get((account.id, device_id))
        key = keys.pop(row_id, None) if row_id is not None else None
        if key is not None:
            results.append({"account_id": str(account.id), "device_id": device_id, "key_id": key.key_id,
                            "key": key.key, "signature": key.signature, "fallback": key.fallback})
    return results


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


async def devices_of_many(api: NodeApi, accounts: list[AccountInfo]) -> dict[int, list[Device]]:
    """`devices_of` for many accounts: local devices and fresh cached remote ones in one query per chunk;
    only remote accounts whose cache is stale (or empty) are refetched."""
    if len(accounts) > MAX_PER_REQUEST:
        raise Invalid(f"at most {MAX_PER_REQUEST} accounts per query")
    local = {a.id: a.local for a in accounts}
    found: dict[int, list[Device]] = {a.id: [] for a in accounts}
    ids = list(found)
    for start in range(0, len(ids), CHUNK):
        for row in await Device.filter(account_id__in=ids[start:start + CHUNK]).order_by("id"):
            if row.local == local[row.account_id]:  # type: ignore[attr-defined]
                found[row.account_id].append(row)  # type: ignore[attr-defined]
    stale_before = datetime.now(UTC) - REMOTE_CACHE
    for account in accounts:
        cached = found[account.id]
        if not account.local and not (cached and min(d.updated_at for d in cached) > stale_before):
            found[account.id] = await remote_devices(api, account)
    return found


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
