"""Presence: online / last seen, shared with the people an account chats with (its contacts and group
co-members) unless it chose "nobody". Ephemeral: "online" is whether the account has a Messages stream open
here (or, for a remote account, what its server last announced), held in memory; only the last-seen time
is stored. Changes go to local partners' streams at once and to the servers of remote partners as a
`Presence` activity whose stored copies are forgotten within a minute (as typing is)."""

from __future__ import annotations

import uuid
import weakref
from datetime import datetime, timedelta
from typing import Any

from node.plugin_api import AccountInfo, NodeApi

from . import keys, streaming
from .errors import E2EEError, Invalid
from .models import Contact, GroupMember, Presence, SentBatch

SHARES = ("contacts", "nobody")

# Remote accounts their servers said are online, per node (several nodes may share a process).
_ONLINE: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def _remote_online(api: NodeApi) -> set[int]:
    return _ONLINE.setdefault(api, set())


async def partners(account_id: int) -> set[int]:
    """Everyone this account chats with: 1:1 contacts either way and the members of its groups."""
    found = set(await Contact.filter(account_id=account_id).values_list("remote_account_id", flat=True))
    found |= set(await Contact.filter(remote_account_id=account_id).values_list("account_id", flat=True))
    group_ids = await GroupMember.filter(account_id=account_id).values_list("group_id", flat=True)
    found |= set(await GroupMember.filter(group_id__in=list(group_ids)).values_list("account_id", flat=True))
    found.discard(account_id)
    return found


async def share_of(account_id: int) -> str:
    row = await Presence.filter(account_id=account_id).first()
    return row.share if row is not None else "contacts"


async def set_share(api: NodeApi, account: AccountInfo, share: Any) -> str:
    """Change who sees this account's presence; switching to "nobody" tells partners to forget it now."""
    if share not in SHARES:
        raise Invalid(f"share must be one of: {', '.join(SHARES)}")
    row, _ = await Presence.get_or_create(account_id=account.id)
    if row.share != share:
        row.share = share
        await row.save(update_fields=["share"])
        await announce(api, account, online=share == "contacts" and is_online(api, account.id), force=True)
    return share


def is_online(api: NodeApi, account_id: int) -> bool:
    return bool(streaming.hub_of(api).accounts.get(account_id)) or account_id in _remote_online(api)


def entity(account_id: int, shared: bool, online: bool, last_seen: datetime | None) -> dict[str, Any]:
    return {"account_id": str(account_id), "shared": shared, "online": online if shared else None,
            "last_seen_at": last_seen.isoformat().replace("+00:00", "Z") if shared and last_seen else None}


async def visible(api: NodeApi, viewer: AccountInfo, account_ids: list[int]) -> list[dict[str, Any]]:
    """The presence of each account the viewer chats with, as far as it is shared with them."""
    mine = await partners(viewer.id)
    rows = {r.account_id: r for r in await Presence.filter(account_id__in=account_ids)}
    out = []
    for account_id in account_ids:
        row = rows.get(account_id)
        shared = account_id in mine and (row is None or row.share == "contacts")
        out.append(entity(account_id, shared, is_online(api, account_id), row.last_seen_at if row else None))
    return out


async def announce(api: NodeApi, account: AccountInfo, *, online: bool, force: bool = False) -> None:
    """Tell the account's partners it came online or went offline (nothing when it shares with nobody,
    unless `force`: the change to "nobody" itself, which partners need to hide what they showed)."""
    share = await share_of(account.id)
    if share == "nobody" and not force:
        return
    row = await Presence.filter(account_id=account.id).first()
    payload = entity(account.id, share == "contacts", online, row.last_seen_at if row else None)
    targets = await partners(account.id)
    if not targets:
        return
    remote = await api.inboxes_of(list(targets))
    hub = streaming.hub_of(api)
    for target in targets - set(remote):
        hub.push_account(target, "e2ee.presence", payload)
    if remote:
        await _federate(api, account, payload, [t for t in targets if t in remote], remote)


async def _federate(api: NodeApi, account: AccountInfo, payload: dict[str, Any], targets: list[int],
                    inboxes: dict[int, str]) -> None:
    from .federation import CONTEXT

    recipients = [a for a in [await api.get_account(t) for t in targets] if a is not None]
    activity = {"@context": CONTEXT, "id": api.url(f"/e2ee/presence/{uuid.uuid4().hex}"), "type": "Presence",
                "actor": keys.account_uri(api, account), "to": [a.uri for a in recipients],
                "shared": payload["shared"], "online": bool(payload["online"]), "lastSeen": payload["last_seen_at"]}
    await SentBatch.create(activity_uri=activity["id"], expires_at=api.now() + timedelta(minutes=1))
    await api.deliver(account.id, activity, sorted({inboxes[t] for t in targets}))


async def stream_opened(api: NodeApi, account: AccountInfo) -> None:
    """The account's first open stream: it is online."""
    if len(streaming.hub_of(api).accounts.get(account.id, ())) == 1:
        await announce(api, account, online=True)


async def stream_closed(api: NodeApi, account: AccountInfo) -> None:
    """The account's last stream closed: offline, last seen now (the one stored fact)."""
    if streaming.hub_of(api).accounts.get(account.id):
        return
    row, _ = await Presence.get_or_create(account_id=account.id)
    row.last_seen_at = api.now()
    await row.save(update_fields=["last_seen_at"])
    await announce(api, account, online=False)


async def on_presence(api: NodeApi, sender: AccountInfo, raw: dict[str, Any]) -> None:
    """A remote partner's server announced a change: keep it (online in memory, last seen stored) and show it
    to the local accounts it was addressed to that chat with the sender."""
    shared = raw.get("shared") is not False
    online = shared and raw.get("online") is True
    last_seen = _when(raw.get("lastSeen")) if shared else None
    (_remote_online(api).add if online else _remote_online(api).discard)(sender.id)
    row, _ = await Presence.get_or_create(account_id=sender.id)
    row.share, row.last_seen_at = ("contacts" if shared else "nobody"), last_seen or row.last_seen_at
    if not shared:
        row.last_seen_at = None
    await row.save(update_fields=["share", "last_seen_at"])
    payload = entity(sender.id, shared, online, row.last_seen_at)
    mine = await partners(sender.id)
    base = api.url("/")
    for uri in raw.get("to") or []:
        if isinstance(uri, str) and uri.startswith(base):
            target = await api.resolve_account(uri)
            if target is not None and target.id in mine:
                streaming.hub_of(api).push_account(target.id, "e2ee.presence", payload)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise E2EEError("lastSeen is not a date", 400) from exc
