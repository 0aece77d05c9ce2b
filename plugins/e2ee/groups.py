"""Encrypted groups: membership (authoritative on the owner's node, replicated to every member's server),
the epoch that tells senders to rotate their Megolm session when someone leaves, and group messages:
encrypted once by the sender, fanned out by the node to member devices here and once per other server."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from node.plugin_api import AccountInfo, NodeApi, parse_id

from . import streaming
from .envelopes import MEGOLM, MESSAGE_ID, _iso, check_body, check_expiry, message_uri, notify_new_message
from .errors import Conflict, E2EEError, Invalid, NotFound
from .keys import account_uri
from .models import Device, Envelope, Group, GroupMember, SentBatch

MAX_MEMBERS = 1500


async def members_of(group: Group) -> list[GroupMember]:
    return await GroupMember.filter(group=group).order_by("id")


async def group_entity(api: NodeApi, group: Group) -> dict[str, Any]:
    rows = await members_of(group)
    accounts = await api.get_accounts(m.account_id for m in rows)
    members = [{"account_id": str(m.account_id), "acct": a.acct if (a := accounts.get(str(m.account_id))) else None,
                "joined_epoch": m.joined_epoch} for m in rows]
    return {"id": str(group.id), "uri": group.uri, "name": group.name, "owner_id": str(group.owner_id),
            "epoch": group.epoch, "local": group.local,
            "rotation": {"messages": group.rotate_after_messages, "seconds": group.rotate_after_seconds},
            "members": members, "created_at": _iso(group.created_at)}


def _int(value: Any, name: str, low: int, high: int, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise Invalid(f"{name} must be between {low} and {high}")
    return number


async def _accounts(api: NodeApi, ids: list[Any]) -> list[AccountInfo]:
    wanted = list(dict.fromkeys(str(i) for i in ids))
    found = await api.get_accounts(wanted)
    for value in wanted:
        if value not in found:
            raise NotFound(f"No account {value}")
    return [found[value] for value in wanted]


async def create(api: NodeApi, owner: AccountInfo, name: Any, member_ids: list[Any], *,
                 rotate_after_messages: Any = None, rotate_after_seconds: Any = None) -> Group:
    if name is not None and (not isinstance(name, str) or len(name) > 128):
        raise Invalid("name must be at most 128 characters")
    members = [a for a in await _accounts(api, member_ids) if a.id != owner.id]
    if len(members) + 1 > MAX_MEMBERS:
        raise Invalid(f"a group has at most {MAX_MEMBERS} members")
    messages = _int(rotate_after_messages, "rotate_after_messages", 1, 10_000, 100)
    seconds = _int(rotate_after_seconds, "rotate_after_seconds", 60, 30 * 24 * 3600, 7 * 24 * 3600)
    async with in_transaction():
        group = await Group.create(uri=api.url(f"/e2ee/groups/{uuid.uuid4().hex}"), owner_id=owner.id, local=True,
                                   name=name or "", rotate_after_messages=messages, rotate_after_seconds=seconds)
        await GroupMember.bulk_create([GroupMember(group=group, account_id=a.id) for a in [owner, *members]])
    await announce(api, group)
    return group


async def visible_group(account: AccountInfo, group_id: Any) -> Group:
    """A group the account belongs to (404 for any other, so ids reveal nothing)."""
    group = await Group.filter(id=key).first() if (key := parse_id(group_id)) is not None else None
    if group is None or not await GroupMember.filter(group=group, account_id=account.id).exists():
        raise NotFound()
    return group


async def add_members(api: NodeApi, actor: AccountInfo, group: Group, ids: list[Any]) -> Group:
    if not group.local or group.owner_id != actor.id:
        raise E2EEError("Only the group's owner may add members", 403)
    accounts = await _accounts(api, ids)
    present = set(await GroupMember.filter(group=group).values_list("account_id", flat=True))
    new = [a for a in accounts if a.id not in present]
    if len(present) + len(new) > MAX_MEMBERS:
        raise Invalid(f"a group has at most {MAX_MEMBERS} members")
    await GroupMember.bulk_create([GroupMember(group=group, account_id=a.id, joined_epoch=group.epoch) for a in new])
    await announce(api, group)
    return group


async def remove_member(api: NodeApi, actor: AccountInfo, group: Group, account_id: Any) -> Group:
    """The owner removes a member, or a member leaves; the epoch moves on so senders rotate."""
    target = parse_id(account_id)
    if target != actor.id and (not group.local or group.owner_id != actor.id):
        raise E2EEError("Only the group's owner may remove other members", 403)
    if target == group.owner_id and group.local:
        raise Invalid("The owner cannot leave the group")
    if target is None or not await GroupMember.filter(group=group, account_id=target).exists():
        raise NotFound("Not a member of this group")
    # a member leaving as their account is deleted is no longer found, but still says goodbye
    removed = await api.get_account(target) or (actor if actor.id == target else None)
    async with in_transaction():
        await GroupMember.filter(group=group, account_id=target).delete()
        group.epoch += 1
        await group.save(update_fields=["epoch", "updated_at"])
    if group.local:
        await announce(api, group, also=[removed] if removed else [])
    elif removed is not None and removed.local:
        from .federation import leave_activity

        owner = await api.get_account(group.owner_id)
        inboxes = await api.inboxes_of([group.owner_id])
        if owner is not None and group.owner_id in inboxes:
            await api.deliver(removed.id, leave_activity(api, removed, group), [inboxes[group.owner_id]])
    for member in await members_of(group):
        streaming.hub_of(api).push_account(member.account_id, "e2ee.group", {"id": str(group.id), "epoch": group.epoch})
    return group


async def announce(api: NodeApi, group: Group, also: list[AccountInfo] = ()) -> int:  # type: ignore[assignment]
    """Send the group's membership to every server with a member (and to those just removed)."""
    from .federation import group_update

    ids = [m.account_id for m in await members_of(group)] + [a.id for a in also]
    inboxes = set((await api.inboxes_of(ids)).values())
    if not inboxes:
        return 0
    owner = await api.get_account(group.owner_id)
    assert owner is not None
    return await api.deliver(owner.id, await group_update(api, group), sorted(inboxes))


# ---- messages -------------------------------------------------------------------------------------------------


async def send(api: NodeApi, sender: AccountInfo, device: Device, group: Group, data: dict[str, Any]) -> str:
    """Fan a Megolm ciphertext out: every member device here but the sender's, and one activity per other
    server. A sender on an old epoch must rotate first (409). Returns the message's id."""
    body = check_body(data.get("body"))
    epoch = _int(data.get("epoch"), "epoch", 0, 2**31, -1) if data.get("epoch") not in (None, "") else None
    if epoch is None:
        raise Invalid("epoch is missing (the group's epoch the sender's session was shared in)")
    if epoch != group.epoch:
        raise Conflict(f"The group key must be rotated: the group is at epoch {group.epoch}")
    message_id = data.get("message_id") or uuid.uuid4().hex
    if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
        raise Invalid("message_id must be 1-64 letters, digits, - or _")
    expires_at = check_expiry(data.get("expires_in"), api.now())
    notify = data.get("notify") in (True, "true", "1", 1)
    uri = message_uri(account_uri(api, sender), device.device_id, message_id)
    member_ids = [m.account_id for m in await members_of(group)]
    inboxes = await api.inboxes_of(member_ids)
    by_inbox: dict[str, list[int]] = defaultdict(list)
    for account_id, inbox in inboxes.items():
        by_inbox[inbox].append(account_id)
    local_ids = [i for i in member_ids if i not in inboxes]
    devices = [i for i in await Device.filter(account_id__in=local_ids, local=True).values_list("id", flat=True)
               if i != device.id]
    rows = [Envelope(device_id=d, message_uri=uri, from_account_id=sender.id, from_device_id=device.device_id,
                     type=MEGOLM, body=body, group_id=group.id, expires_at=expires_at) for d in devices]
    from .federation import group_message

    async with in_transaction():
        await Envelope.bulk_create(rows, ignore_conflicts=True)
        for inbox, account_ids in by_inbox.items():
            activity = await group_message(api, sender, device.device_id, group, uri, body, account_ids, expires_at,
                                           notify=notify)
            await SentBatch.create(activity_uri=activity["id"], expires_at=expires_at)
            await api.deliver(sender.id, activity, [inbox])
    streaming.hub_of(api).notify_devices(set(devices))
    if notify:
        await notify_new_message(api, set(local_ids), sender.id)
    return uri


async def receive_message(api: NodeApi, sender: AccountInfo, group: Group, *, uri: str, device_id: str,
                          body: str, epoch: int, to: list[int], expires_at: datetime | None,
                          activity_uri: str | None, notify: bool = False) -> int:
    """Fan a group message that came from another server out to this server's member devices."""
    members = set(await GroupMember.filter(group=group).values_list("account_id", flat=True))
    if sender.id not in members and epoch <= group.epoch:
        raise E2EEError("The sender is not a member of this group", 403)
    # The replica may lag behind the sender's server: trust `to` only for members, or for a newer epoch.
    targets = [i for i in to if i in members or epoch > group.epoch]
    devices = await Device.filter(account_id__in=targets, local=True)
    rows = [Envelope(device=d, message_uri=uri, from_account_id=sender.id, from_device_id=device_id, type=MEGOLM,
                     body=body, group_id=group.id, expires_at=expires_at, activity_uri=activity_uri)
            for d in devices]
    async with in_transaction():
        await Envelope.bulk_create(rows, ignore_conflicts=True)
        if expires_at is not None and activity_uri:  # forgotten at expiry even after every member read it
            await SentBatch.get_or_create(activity_uri=activity_uri, defaults={"expires_at": expires_at})
    streaming.hub_of(api).notify_devices({d.id for d in devices})
    if notify:
        await notify_new_message(api, set(targets), sender.id)
    return len(rows)
