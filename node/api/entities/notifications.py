"""Notification, grouped notifications (Mastodon 4.3's de-duplicated shape), notification policy and request,
and Marker entities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...models import Account, Marker, Notification, NotificationRequest
from ...runtime import Node
from ...services import status_reads, visibility
from ...services.notification_groups import Group
from .accounts import account_entity
from .common import iso
from .statuses import status_entities

# The group types whose entity names its status (Mastodon's, plus ours that are about a post).
_STATUS_TYPES = frozenset(
    {"favourite", "reblog", "status", "mention", "poll", "update", "take_trend_joined", "take_template_used",
     "story_reply"}
)


async def _visible_statuses(node: Node, status_ids: set[int], viewer: Account) -> dict[int, dict[str, Any]]:
    """Status entities by id, for those the viewer may still see."""
    shown = await visibility.visible(viewer, await status_reads.in_order(list(status_ids)))
    return {int(e["id"]): e for e in await status_entities(node, shown, viewer)}


async def notification_entities(
    node: Node, notifications: Sequence[Notification], viewer: Account
) -> list[dict[str, Any]]:
    """Mastodon's Notification for each, with its account and status rendered in batches."""
    if not notifications:
        return []
    accounts = await status_reads.accounts_by_id({n.from_account_id for n in notifications})
    rendered = await _visible_statuses(
        node, {n.status_id for n in notifications if n.status_id is not None}, viewer
    )
    stories = await _stories(node, notifications, viewer)
    result = []
    for notification in notifications:
        if notification.from_account_id not in accounts:
            continue
        if notification.status_id is not None and notification.status_id not in rendered:
            continue  # its status is gone or no longer visible
        entity: dict[str, Any] = {
            "id": str(notification.id),
            "type": notification.type,
            "created_at": iso(notification.created_at),
            "group_key": notification.group_key or f"ungrouped-{notification.id}",
            "account": account_entity(node, accounts[notification.from_account_id]),
        }
        if notification.filtered:
            entity["filtered"] = True
        if notification.status_id is not None:
            entity["status"] = rendered[notification.status_id]
        if notification.id in stories:
            entity["story"] = stories[notification.id]
        result.append(entity)
    return result


async def _stories(node: Node, notifications: Sequence[Notification], viewer: Account) -> dict[int, dict[str, Any]]:
    """The story each story notification is about (ours: `story`), when the viewer may still see it."""
    from ...models import Story, StoryNotification
    from ...services.stories import audience
    from .stories import story_entities

    ids = [n.id for n in notifications if n.type.startswith("story_")]
    if not ids:
        return {}
    links = dict(await StoryNotification.filter(notification_id__in=ids).values_list("notification_id", "story_id"))
    found = await audience.visible_among(viewer, await Story.filter(id__in=set(links.values())), node.clock.now())
    rendered = {int(e["id"]): e for e in await story_entities(node, found, viewer)}
    return {n: rendered[s] for n, s in links.items() if s in rendered}


def _partial_account(node: Node, account: Account) -> dict[str, Any]:
    full = account_entity(node, account)
    return {
        "id": full["id"],
        "acct": full["acct"],
        "locked": full["locked"],
        "bot": full["bot"],
        "url": full["url"],
        "avatar": full["avatar"],
        "avatar_static": full["avatar_static"],
        "avatar_description": "",
    }


def group_entity(group: Group, *, paginated: bool) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "group_key": group.key,
        "notifications_count": group.count,
        "type": group.notification.type,
        "most_recent_notification_id": str(group.most_recent_id),
    }
    if paginated:
        entity["page_min_id"] = str(
            group.page_min_id if group.page_min_id is not None else group.most_recent_id
        )
        entity["page_max_id"] = str(group.most_recent_id)
        entity["latest_page_notification_at"] = iso(group.latest_at) if group.latest_at is not None else None
    entity["sample_account_ids"] = [str(a) for a in group.sample_account_ids]
    if group.notification.type in _STATUS_TYPES:
        entity["status_id"] = str(group.notification.status_id) if group.notification.status_id else None
    return entity


async def grouped_entities(
    node: Node,
    groups: Sequence[Group],
    viewer: Account,
    *,
    expand_accounts: str = "full",
    paginated: bool = True,
) -> dict[str, Any]:
    """{"accounts", ["partial_accounts",] "statuses", "notification_groups"}: each account and status once.
    With expand_accounts=partial_avatars only each group's newest account is complete, the others partial."""
    rendered = await _visible_statuses(
        node, {g.notification.status_id for g in groups if g.notification.status_id is not None}, viewer
    )
    shown = [g for g in groups if g.notification.status_id is None or g.notification.status_id in rendered]
    wanted = {a for g in shown for a in g.sample_account_ids}
    accounts = {a.id: a for a in await Account.filter(id__in=wanted)} if wanted else {}
    for group in shown:
        group.sample_account_ids = [a for a in group.sample_account_ids if a in accounts]
    shown = [g for g in shown if g.sample_account_ids]
    partial = expand_accounts == "partial_avatars"
    full_ids = (
        list(dict.fromkeys(g.sample_account_ids[0] for g in shown))
        if partial
        else list(dict.fromkeys(a for g in shown for a in g.sample_account_ids))
    )
    body: dict[str, Any] = {"accounts": [account_entity(node, accounts[a]) for a in full_ids]}
    if partial:
        rest = dict.fromkeys(a for g in shown for a in g.sample_account_ids[1:] if a not in set(full_ids))
        body["partial_accounts"] = [_partial_account(node, accounts[a]) for a in rest]
    status_ids = dict.fromkeys(
        g.notification.status_id for g in shown if g.notification.status_id is not None
    )
    body["statuses"] = [rendered[s] for s in status_ids]
    body["notification_groups"] = [group_entity(g, paginated=paginated) for g in shown]
    return body


def policy_entity(policy: Mapping[str, str], summary: Mapping[str, int]) -> dict[str, Any]:
    return {**policy, "summary": dict(summary)}


def policy_v1_entity(policy: Mapping[str, str], summary: Mapping[str, int]) -> dict[str, Any]:
    """The v1 shape: booleans, filter_x is for_x not "accept"."""
    return {
        "filter_not_following": policy["for_not_following"] != "accept",
        "filter_not_followers": policy["for_not_followers"] != "accept",
        "filter_new_accounts": policy["for_new_accounts"] != "accept",
        "filter_private_mentions": policy["for_private_mentions"] != "accept",
        "summary": dict(summary),
    }


async def request_entities(
    node: Node, requests: Sequence[NotificationRequest], viewer: Account
) -> list[dict[str, Any]]:
    if not requests:
        return []
    accounts = {a.id: a for a in await Account.filter(id__in={r.from_account_id for r in requests})}
    rendered = await _visible_statuses(node, {r.last_status_id for r in requests if r.last_status_id}, viewer)
    return [
        {
            "id": str(r.id),
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
            "account": account_entity(node, accounts[r.from_account_id]),
            "notifications_count": str(r.notifications_count),
            "last_status": rendered.get(r.last_status_id) if r.last_status_id else None,
        }
        for r in requests
        if r.from_account_id in accounts
    ]


def marker_entities(markers: Sequence[Marker]) -> dict[str, Any]:
    return {
        m.timeline: {
            "last_read_id": str(m.last_read_id),
            "version": m.version,
            "updated_at": iso(m.updated_at),
        }
        for m in markers
    }
