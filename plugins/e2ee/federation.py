"""The plugin's ActivityPub: the `devices` collection on each actor (Mastodon's toot:Device vocabulary,
extended with algorithms and the signed device object), ciphertext batches (one per destination server,
each message with an id for de-duplication), group membership and group messages, device-list-change
announcements, typing, and the inbound handlers for all of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from node.plugin_api import AccountInfo, NodeApi

from . import envelopes, groups, keys, signing, streaming
from .envelopes import Outgoing, _iso
from .errors import E2EEError, Invalid
from .models import Contact, Device, Envelope, Group, GroupMember

AS = "https://www.w3.org/ns/activitystreams"
TERMS = {
    "toot": "http://joinmastodon.org/ns#", "entativa": "https://entativa.social/ns#",
    "Device": "toot:Device", "Ed25519Signature": "toot:Ed25519Signature", "Ed25519Key": "toot:Ed25519Key",
    "Curve25519Key": "toot:Curve25519Key", "EncryptedMessage": "toot:EncryptedMessage",
    "publicKeyBase64": "toot:publicKeyBase64", "deviceId": "toot:deviceId",
    "claim": {"@type": "@id", "@id": "toot:claim"},
    "fingerprintKey": {"@type": "@id", "@id": "toot:fingerprintKey"},
    "identityKey": {"@type": "@id", "@id": "toot:identityKey"},
    "devices": {"@type": "@id", "@id": "toot:devices"},
    "messageFranking": "toot:messageFranking", "messageType": "toot:messageType", "cipherText": "toot:cipherText",
    "algorithms": "entativa:algorithms", "deviceSignature": "entativa:deviceSignature",
    "EncryptedMessageBatch": "entativa:EncryptedMessageBatch", "EncryptedGroup": "entativa:EncryptedGroup",
    "EncryptedGroupMessage": "entativa:EncryptedGroupMessage", "DeviceList": "entativa:DeviceList",
    "Typing": "entativa:Typing", "expiresAt": "entativa:expiresAt", "epoch": "entativa:epoch",
    "rotateAfterMessages": "entativa:rotateAfterMessages", "rotateAfterSeconds": "entativa:rotateAfterSeconds",
    "conversation": "entativa:conversation", "Presence": "entativa:Presence", "online": "entativa:online",
    "lastSeen": "entativa:lastSeen", "shared": "entativa:shared",
}
CONTEXT = [AS, TERMS]


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def devices_url(api: NodeApi, account: AccountInfo) -> str:
    return api.url(f"/users/{account.username}/collections/devices")


def claim_url(api: NodeApi, account: AccountInfo) -> str:
    return api.url(f"/users/{account.username}/claim")


# ---- devices ---------------------------------------------------------------------------------------------------


def device_document(api: NodeApi, account: AccountInfo, device: Device) -> dict[str, Any]:
    return {"type": "Device", "deviceId": device.device_id, "name": device.name, "claim": claim_url(api, account),
            "fingerprintKey": {"type": "Ed25519Key", "publicKeyBase64": device.fingerprint_key},
            "identityKey": {"type": "Curve25519Key", "publicKeyBase64": device.identity_key},
            "algorithms": device.algorithms, "deviceSignature": device.signature}


def devices_collection(api: NodeApi, account: AccountInfo, devices: list[Device]) -> dict[str, Any]:
    items = [device_document(api, account, d) for d in devices]
    return {"@context": CONTEXT, "id": devices_url(api, account), "type": "Collection",
            "attributedTo": keys.account_uri(api, account), "totalItems": len(items), "items": items}


def parse_device_collection(doc: Any) -> list[dict[str, Any]]:
    """Device fields from a devices collection (or DeviceList); malformed devices are left out."""
    items = doc.get("items") or doc.get("orderedItems") or [] if isinstance(doc, dict) else []
    found: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            device_id = item["deviceId"]
            identity = item["identityKey"]["publicKeyBase64"]
            fingerprint = item["fingerprintKey"]["publicKeyBase64"]
            if not isinstance(device_id, str) or not keys.DEVICE_ID.match(device_id):
                continue
            signing.check_curve25519(identity)
            signing.check_ed25519(fingerprint)
        except (KeyError, TypeError, signing.KeyRefused):
            continue
        algorithms = item.get("algorithms") if isinstance(item.get("algorithms"), list) else []
        found[device_id] = {
            "device_id": device_id, "name": str(item.get("name") or "")[:128], "identity_key": identity,
            "fingerprint_key": fingerprint, "algorithms": [str(a)[:64] for a in algorithms[:8]],
            "signature": str(item.get("deviceSignature") or "")[:128],
            "claim_url": str(item.get("claim") or "")[:1024]}
    return list(found.values())


def actor_fields(api: NodeApi, account: AccountInfo) -> dict[str, Any]:
    return {"@context": TERMS, "devices": devices_url(api, account)}


async def announce_devices(api: NodeApi, account: AccountInfo) -> int:
    """Tell every server this account exchanges ciphertext with (contacts, group members) its device list."""
    remote = set(await Contact.filter(account_id=account.id).values_list("remote_account_id", flat=True))
    group_ids = await GroupMember.filter(account_id=account.id).values_list("group_id", flat=True)
    remote |= set(await GroupMember.filter(group_id__in=list(group_ids)).values_list("account_id", flat=True))
    inboxes = sorted(set((await api.inboxes_of(list(remote))).values()))
    if not inboxes:
        return 0
    devices = await Device.filter(account_id=account.id, local=True).order_by("id")
    collection = devices_collection(api, account, devices)
    obj = {**{k: v for k, v in collection.items() if k != "@context"}, "type": "DeviceList"}
    actor = keys.account_uri(api, account)
    activity = {"@context": CONTEXT, "id": f"{actor}#devices/updates/{uuid.uuid4().hex}", "type": "Update",
                "actor": actor, "to": [], "object": obj}
    return await api.deliver(account.id, activity, inboxes)


# ---- envelopes -------------------------------------------------------------------------------------------------


def envelope_batch(api: NodeApi, sender: AccountInfo, device_id: str, batch: list[Outgoing],
                   expires_at: datetime | None) -> dict[str, Any]:
    """One Create of an EncryptedMessageBatch: every ciphertext from one request for one server."""
    actor = keys.account_uri(api, sender)
    batch_id = api.url(f"/e2ee/batches/{uuid.uuid4().hex}")
    items = []
    for o in batch:
        item = {"type": "EncryptedMessage", "id": envelopes.message_uri(actor, device_id, o.message_id),
                "attributedTo": {"type": "Device", "deviceId": device_id, "attributedTo": actor},
                "to": {"type": "Device", "deviceId": o.device_id, "attributedTo": o.account.uri},
                "messageType": o.type, "cipherText": o.body}
        if o.notify:
            item["notify"] = True
        if o.ring:
            item["ring"] = True  # a call offer: the recipient's node rings (the SDP stays inside cipherText)
        if o.digest:
            item["digest"] = {"type": "Digest", "digestAlgorithm": "http://www.w3.org/2000/09/xmldsig#hmac-sha256",
                              "digestValue": o.digest}
        items.append(item)
    obj: dict[str, Any] = {"type": "EncryptedMessageBatch", "id": f"{batch_id}#object", "attributedTo": actor,
                           "orderedItems": items}
    if expires_at is not None:
        obj["expiresAt"] = _iso(expires_at)
    return {"@context": CONTEXT, "id": batch_id, "type": "Create", "actor": actor,
            "to": sorted({o.account.uri for o in batch if o.account.uri}), "object": obj}


def _expiry(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("expiresAt is not a date") from None


async def _sender(api: NodeApi, actor: str) -> AccountInfo:
    account = await api.resolve_account(actor)
    if account is None or account.local:
        raise E2EEError(f"unknown sender {actor}", 403)
    return account


async def on_encrypted(api: NodeApi, activity: Any) -> int:
    """Store ciphertexts for this server's devices (a batch, or Mastodon's single EncryptedMessage)."""
    sender = await _sender(api, activity.actor)
    obj = activity.object
    items = obj.get("orderedItems") if obj.get("type") == "EncryptedMessageBatch" else [obj]
    expires_at = _expiry(obj.get("expiresAt"))
    base = api.url("/")
    rows, accounts, notify, ring = [], set(), set(), set()
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        source, target = item.get("attributedTo"), item.get("to")
        if not isinstance(source, dict) or not isinstance(target, dict):
            continue
        if source.get("attributedTo", activity.actor) != activity.actor:
            raise E2EEError("a message attributed to another actor", 403)
        owner_uri = target.get("attributedTo") or (activity.raw.get("to") or [None])[0]
        if not isinstance(owner_uri, str) or not owner_uri.startswith(base):
            continue
        owner = await api.resolve_account(owner_uri)
        device = await Device.filter(account_id=owner.id, device_id=str(target.get("deviceId")), local=True).first() \
            if owner is not None and owner.local else None
        message_id, body = item.get("id"), item.get("cipherText")
        if device is None or not isinstance(message_id, str) or not message_id.startswith(activity.actor):
            continue
        try:
            kind = int(item.get("messageType"))  # type: ignore[arg-type]
            envelopes.check_body(body)
        except (TypeError, ValueError, E2EEError):
            continue
        digest = item.get("digest", {}).get("digestValue", "") if isinstance(item.get("digest"), dict) else ""
        rows.append(Envelope(device=device, message_uri=message_id[:512], from_account_id=sender.id,
                             from_device_id=str(source.get("deviceId"))[:64], type=kind, body=body,
                             digest=str(digest)[:128], expires_at=expires_at, activity_uri=activity.id))
        accounts.add(owner.id)  # type: ignore[union-attr]
        if item.get("notify") is True:
            notify.add(owner.id)  # type: ignore[union-attr]
        if item.get("ring") is True:
            ring.add(owner.id)  # type: ignore[union-attr]
    return await envelopes.receive(api, rows, sender.id, accounts, notify, ring)


# ---- groups ----------------------------------------------------------------------------------------------------


async def group_update(api: NodeApi, group: Group) -> dict[str, Any]:
    owner = await api.get_account(group.owner_id)
    assert owner is not None
    rows = await groups.members_of(group)
    accounts = await api.get_accounts(m.account_id for m in rows)
    members = [keys.account_uri(api, a) for m in rows if (a := accounts.get(str(m.account_id))) is not None]
    actor = keys.account_uri(api, owner)
    return {"@context": CONTEXT, "id": f"{group.uri}#updates/{uuid.uuid4().hex}", "type": "Update", "actor": actor,
            "to": members, "object": {"type": "EncryptedGroup", "id": group.uri, "attributedTo": actor,
                                      "name": group.name, "epoch": group.epoch, "members": members,
                                      "rotateAfterMessages": group.rotate_after_messages,
                                      "rotateAfterSeconds": group.rotate_after_seconds}}


def leave_activity(api: NodeApi, account: AccountInfo, group: Group) -> dict[str, Any]:
    actor = keys.account_uri(api, account)
    return {"@context": CONTEXT, "id": f"{actor}#leave/{uuid.uuid4().hex}", "type": "Leave", "actor": actor,
            "object": {"type": "EncryptedGroup", "id": group.uri}}


async def group_message(api: NodeApi, sender: AccountInfo, device_id: str, group: Group, uri: str, body: str,
                        account_ids: list[int], expires_at: datetime | None, *, notify: bool = False) -> dict[str, Any]:
    actor = keys.account_uri(api, sender)
    to = [a.uri for a in (await api.get_accounts(account_ids)).values() if a.uri]
    obj: dict[str, Any] = {"type": "EncryptedGroupMessage", "id": uri, "context": group.uri, "epoch": group.epoch,
                           "attributedTo": {"type": "Device", "deviceId": device_id, "attributedTo": actor},
                           "messageType": envelopes.MEGOLM, "cipherText": body}
    if notify:
        obj["notify"] = True
    if expires_at is not None:
        obj["expiresAt"] = _iso(expires_at)
    return {"@context": CONTEXT, "id": api.url(f"/e2ee/batches/{uuid.uuid4().hex}"), "type": "Create",
            "actor": actor, "to": to, "object": obj}


async def on_group_update(api: NodeApi, activity: Any) -> None:
    """Replace this server's replica of a group with what its owner's server says."""
    obj = activity.object
    uri = obj.get("id")
    if not isinstance(uri, str) or _host(uri) != _host(activity.actor) or obj.get("attributedTo") != activity.actor:
        raise E2EEError("only the group's owner may describe it", 403)
    owner = await _sender(api, activity.actor)
    member_uris = [m for m in obj.get("members", []) if isinstance(m, str)][: groups.MAX_MEMBERS]
    accounts = [a for a in [await api.resolve_account(m) for m in member_uris] if a is not None]
    epoch = int(obj.get("epoch") or 0)
    group = await Group.filter(uri=uri).first()
    if group is not None and (group.local or group.owner_id != owner.id):
        raise E2EEError("that group belongs to someone else", 403)
    if group is not None and group.epoch > epoch:
        return  # an older update arriving late
    if group is None:
        group = await Group.create(uri=uri, owner_id=owner.id, local=False)
    group.name = str(obj.get("name") or "")[:128]
    group.epoch = epoch
    group.rotate_after_messages = int(obj.get("rotateAfterMessages") or 100)
    group.rotate_after_seconds = int(obj.get("rotateAfterSeconds") or 7 * 24 * 3600)
    await group.save()
    keep = {a.id for a in accounts}
    await GroupMember.filter(group=group).exclude(account_id__in=list(keep)).delete()
    present = set(await GroupMember.filter(group=group).values_list("account_id", flat=True))
    await GroupMember.bulk_create([GroupMember(group=group, account_id=i, joined_epoch=epoch)
                                   for i in keep - present])
    for account in accounts:
        if account.local:
            streaming.hub_of(api).push_account(account.id, "e2ee.group", {"id": str(group.id), "epoch": epoch})


async def on_leave(api: NodeApi, activity: Any) -> None:
    member = await _sender(api, activity.actor)
    group = await Group.filter(uri=str(activity.object.get("id")), local=True).first()
    if group is None:
        return
    if await GroupMember.filter(group=group, account_id=member.id).exists():
        await groups.remove_member(api, member, group, member.id)


async def on_group_message(api: NodeApi, activity: Any) -> int:
    sender = await _sender(api, activity.actor)
    obj = activity.object
    group = await Group.filter(uri=str(obj.get("context"))).first()
    source = obj.get("attributedTo") if isinstance(obj.get("attributedTo"), dict) else {}
    uri = obj.get("id")
    if group is None or source.get("attributedTo") != activity.actor or not isinstance(uri, str) \
            or not uri.startswith(activity.actor):
        raise E2EEError("a group message for an unknown group or from someone else", 403)
    base = api.url("/")
    to = [a.id for a in [await api.resolve_account(u) for u in activity.raw.get("to") or []
                         if isinstance(u, str) and u.startswith(base)] if a is not None]
    return await groups.receive_message(
        api, sender, group, uri=uri[:512], device_id=str(source.get("deviceId"))[:64],
        body=envelopes.check_body(obj.get("cipherText")), epoch=int(obj.get("epoch") or 0), to=to,
        expires_at=_expiry(obj.get("expiresAt")), activity_uri=activity.id, notify=obj.get("notify") is True)


async def on_device_list(api: NodeApi, activity: Any) -> None:
    obj = activity.object
    account = await _sender(api, activity.actor)
    if obj.get("attributedTo") != activity.actor or _host(str(obj.get("id"))) != _host(activity.actor):
        raise E2EEError("a device list of another actor", 403)
    await keys.store_remote_devices(account, parse_device_collection(obj))
    for contact in await Contact.filter(remote_account_id=account.id):
        streaming.hub_of(api).push_account(contact.account_id, "e2ee.devices", {"account_id": str(account.id)})


async def on_typing(api: NodeApi, activity: Any) -> None:
    sender = await _sender(api, activity.actor)
    base = api.url("/")
    for uri in activity.raw.get("to") or []:
        if isinstance(uri, str) and uri.startswith(base):
            target = await api.resolve_account(uri)
            if target is not None:
                streaming.hub_of(api).push_account(target.id, "e2ee.typing", {
                    "account_id": str(sender.id), "conversation_id": str(activity.raw.get("conversation", ""))[:256],
                    "typing": bool(activity.raw.get("typing", True))})
    await api.forget_activity(activity.id)  # ephemeral: nothing of it stays on this server


async def on_presence(api: NodeApi, activity: Any) -> None:
    from . import presence

    await presence.on_presence(api, await _sender(api, activity.actor), activity.raw)
    await api.forget_activity(activity.id)  # ephemeral: only the last-seen time stays


def handlers(api: NodeApi) -> dict[Any, Any]:
    def bound(fn: Any) -> Any:
        async def handle(activity: Any) -> Any:
            return await fn(api, activity)
        return handle

    return {("Create", "EncryptedMessageBatch"): bound(on_encrypted), ("Create", "EncryptedMessage"): bound(on_encrypted),
            ("Create", "EncryptedGroupMessage"): bound(on_group_message),
            ("Update", "EncryptedGroup"): bound(on_group_update), ("Leave", "EncryptedGroup"): bound(on_leave),
            ("Update", "DeviceList"): bound(on_device_list), ("Typing", None): bound(on_typing),
            ("Presence", None): bound(on_presence)}


async def send_typing(api: NodeApi, account: AccountInfo, target: AccountInfo, payload: dict[str, Any]) -> int:
    """Typing travels to the other server through the queue; both stored copies are forgotten within a minute."""
    from datetime import timedelta

    from .models import SentBatch

    inboxes = await api.inboxes_of([target.id])
    if target.id not in inboxes:
        return 0
    actor = keys.account_uri(api, account)
    activity = {"@context": CONTEXT, "id": api.url(f"/e2ee/typing/{uuid.uuid4().hex}"), "type": "Typing",
                "actor": actor, "to": [target.uri], "conversation": payload["conversation_id"],
                "typing": payload["typing"]}
    await SentBatch.create(activity_uri=activity["id"], expires_at=api.now() + timedelta(minutes=1))
    return await api.deliver(account.id, activity, [inboxes[target.id]])
