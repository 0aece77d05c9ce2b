"""Per-device ciphertext queues: sending to-device (Olm) envelopes to local devices directly and to remote
ones in one batch per destination server, receiving batches, reading by cursor, acknowledging, and the
expiry job (30 days, or the disappearing-message time the sender set)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from node.plugin_api import AccountInfo, NodeApi

from . import streaming
from .errors import BadRequest, Invalid, NotFound
from .keys import DEVICE_ID, account_uri
from .models import Contact, Device, Envelope, SentBatch

KEEP = timedelta(days=30)
MAX_BODY = 64 * 1024
MAX_ITEMS = 2000
OLM_TYPES = (0, 1)
MEGOLM = 2
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


@dataclass(frozen=True)
class Outgoing:
    """One ciphertext for one device, checked."""

    account: AccountInfo
    device_id: str
    type: int
    body: str
    digest: str
    message_id: str
    notify: bool = False  # the sender asks for a "New message from ..." notification (never the text)
    ring: bool = False  # the sender says this ciphertext is a call offer: "alice is calling you" (never the SDP)


def message_uri(sender_uri: str, device_id: str, message_id: str) -> str:
    return f"{sender_uri}#e2ee/{device_id}/{message_id}"


def check_body(body: Any) -> str:
    if not isinstance(body, str) or not body:
        raise Invalid("body is missing")
    if len(body) > MAX_BODY:
        raise Invalid(f"body is longer than {MAX_BODY} characters")
    if not re.fullmatch(r"[A-Za-z0-9+/=_\-]+", body):
        raise Invalid("body must be base64")
    return body


def check_expiry(expires_in: Any, now: datetime) -> datetime | None:
    if expires_in in (None, ""):
        return None
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        raise Invalid("expires_in must be a number of seconds") from None
    if not 1 <= seconds <= int(KEEP.total_seconds()):
        raise Invalid("expires_in must be between 1 second and 30 days")
    return now + timedelta(seconds=seconds)


async def parse_outgoing(api: NodeApi, items: list[dict[str, Any]]) -> list[Outgoing]:
    if not items:
        raise BadRequest("device[] is missing")
    if len(items) > MAX_ITEMS:
        raise Invalid(f"at most {MAX_ITEMS} devices per delivery")
    if not all(isinstance(item, dict) for item in items):
        raise BadRequest("each device[] needs account_id, device_id, type and body")
    accounts = await api.get_accounts(str(item.get("account_id") or "") for item in items)
    parsed = []
    for item in items:
        account_id = str(item.get("account_id") or "")
        if account_id not in accounts:
            raise NotFound(f"No account {account_id}")
        device_id = item.get("device_id")
        if not isinstance(device_id, str) or not DEVICE_ID.match(device_id):
            raise Invalid("device_id must be 1-64 letters, digits, - or _")
        try:
            kind = int(item.get("type"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            kind = -1
        if kind not in OLM_TYPES:
            raise Invalid("type must be 0 (Olm pre-key message) or 1 (Olm message)")
        message_id = item.get("message_id") or uuid.uuid4().hex
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
            raise Invalid("message_id must be 1-64 letters, digits, - or _")
        digest = item.get("hmac") or ""
        if not isinstance(digest, str) or len(digest) > 128:
            raise Invalid("hmac must be at most 128 characters")
        parsed.append(Outgoing(accounts[account_id], device_id, kind, check_body(item.get("body")), digest,
                               message_id, item.get("notify") in (True, "true", "1", 1),
                               item.get("ring") in (True, "true", "1", 1)))
    return parsed


async def send(api: NodeApi, sender: AccountInfo, device: Device, items: list[dict[str, Any]],
               expires_in: Any = None) -> int:
    """Queue to-device ciphertexts: local devices get envelopes now, each remote server one batch.
    Checks everything before writing anything; returns how many envelopes were accepted."""
    now = api.now()
    expires_at = check_expiry(expires_in, now)
    outgoing = await parse_outgoing(api, items)
    local = [o for o in outgoing if o.account.local]
    targets = {(account_id, device_id): row_id for row_id, account_id, device_id in await Device.filter(
        account_id__in=list({o.account.id for o in local}), local=True).values_list("id", "account_id", "device_id")
               } if local else {}
    for o in local:
        if (o.account.id, o.device_id) not in targets:
            raise NotFound(f"No device {o.device_id} for account {o.account.id}")
    sender_uri = account_uri(api, sender)
    rows = [Envelope(device_id=targets[(o.account.id, o.device_id)], from_account_id=sender.id,
                     from_device_id=device.device_id, type=o.type, body=o.body, digest=o.digest,
                     message_uri=message_uri(sender_uri, device.device_id, o.message_id), expires_at=expires_at)
            for o in local]
    remote = [o for o in outgoing if not o.account.local]
    inboxes = await api.inboxes_of(list({o.account.id for o in remote})) if remote else {}
    by_inbox: dict[str, list[Outgoing]] = defaultdict(list)
    for o in remote:
        if o.account.id not in inboxes:
            raise NotFound(f"No inbox known for account {o.account.id}")
        by_inbox[inboxes[o.account.id]].append(o)
    from .federation import envelope_batch

    async with in_transaction():
        if rows:
            await Envelope.bulk_create(rows, ignore_conflicts=True)  # a retried send is stored once
        for inbox, batch in by_inbox.items():
            activity = envelope_batch(api, sender, device.device_id, batch, expires_at)
            await SentBatch.create(activity_uri=activity["id"], expires_at=expires_at)
            await api.deliver(sender.id, activity, [inbox])
        # the people written to (local ones too) are presence partners; one read and one insert, not one
        # get_or_create each: a 1,500-member group key share spent ~0.9 s in them
        partners = {o.account.id for o in outgoing} - {sender.id}
        known = set(await Contact.filter(account_id=sender.id, remote_account_id__in=list(partners))
                    .values_list("remote_account_id", flat=True)) if partners else set()
        if partners - known:
            await Contact.bulk_create([Contact(account_id=sender.id, remote_account_id=a) for a in partners - known],
                                      batch_size=500, ignore_conflicts=True)
    streaming.hub_of(api).notify_devices({r.device_id for r in rows})
    await notify_new_message(api, {o.account.id for o in local if o.notify}, sender.id)
    await notify_new_message(api, {o.account.id for o in local if o.ring}, sender.id, "e2ee_call")
    return len(outgoing)


async def notify_new_message(api: NodeApi, recipients: set[int], sender_id: int, kind: str = "e2ee_message") -> None:
    """"New message from bob" for each local recipient, once per message (not per device). Senders flag the
    ciphertexts that are messages a person reads (not receipts, keys or edits): the node cannot tell."""
    for account_id in recipients - {sender_id}:
        await api.notify(account_id, sender_id, kind, subject=sender_id)


async def receive(api: NodeApi, rows: list[Envelope], sender_id: int, local_accounts: set[int],
                  notify: set[int] = frozenset(), ring: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    """Store envelopes that arrived from another server; a redelivered message is stored once. `notify`:
    the local accounts the sender flagged the message as notifying."""
    if not rows:
        return 0
    async with in_transaction():
        await Envelope.bulk_create(rows, ignore_conflicts=True)
        # Remember an expiring batch itself: its envelopes are deleted once read, and the stored copy of
        # the activity must still be forgotten at expiry.
        for uri, expires_at in {(r.activity_uri, r.expires_at) for r in rows if r.expires_at and r.activity_uri}:
            await SentBatch.get_or_create(activity_uri=uri, defaults={"expires_at": expires_at})
        for account_id in local_accounts:
            try:
                await Contact.get_or_create(account_id=account_id, remote_account_id=sender_id)
            except IntegrityError:
                pass
    streaming.hub_of(api).notify_devices({r.device_id for r in rows})
    await notify_new_message(api, set(notify), sender_id)
    await notify_new_message(api, set(ring), sender_id, "e2ee_call")
    return len(rows)


def envelope_entity(row: Envelope, group_uri: str | None = None) -> dict[str, Any]:
    """Mastodon's EncryptedMessage entity, plus message_id, group and expires_at."""
    return {"id": str(row.id), "account_id": str(row.from_account_id), "device_id": row.from_device_id,
            "type": row.type, "body": row.body, "digest": row.digest, "message_franking": None,
            "created_at": _iso(row.created_at), "message_id": row.message_uri,
            "group_id": str(row.group_id) if row.group_id is not None else None, "group_uri": group_uri,
            "expires_at": _iso(row.expires_at) if row.expires_at else None}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def page(device: Device, *, max_id: int | None, since_id: int | None, min_id: int | None,
               limit: int) -> list[Envelope]:
    """The device's queue, newest first as Mastodon pages it (min_id pages forward from a cursor)."""
    query = Envelope.filter(device=device)
    if max_id is not None:
        query = query.filter(id__lt=max_id)
    if since_id is not None:
        query = query.filter(id__gt=since_id)
    if min_id is not None:
        rows = await query.filter(id__gt=min_id).order_by("id").limit(limit)
        return list(reversed(rows))
    return await query.order_by("-id").limit(limit)


async def clear(device: Device, up_to_id: int) -> int:
    """Acknowledge everything up to the cursor: those envelopes are gone."""
    return await Envelope.filter(device=device, id__lte=up_to_id).delete()


async def expire(api: NodeApi, now: datetime | None = None) -> int:
    """Delete envelopes past their expiry or older than 30 days, with every stored copy of the federated
    batches they travelled in; returns how many envelopes went."""
    now = now or api.now()
    old = now - KEEP
    gone = await Envelope.filter(expires_at__lte=now).values_list("activity_uri", flat=True)
    removed = await Envelope.filter(expires_at__lte=now).delete()
    removed += await Envelope.filter(created_at__lte=old).delete()
    batches = await SentBatch.filter(expires_at__lte=now).values_list("activity_uri", flat=True)
    old_batches = await SentBatch.filter(created_at__lte=old).values_list("activity_uri", flat=True)
    for uri in {*gone, *batches, *old_batches} - {None}:
        await api.forget_activity(uri)
    await SentBatch.filter(activity_uri__in=[*batches, *old_batches]).delete()
    return removed
