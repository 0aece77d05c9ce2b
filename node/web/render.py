"""What pages show of statuses and notifications: the API's own entities, so a page never re-derives
counts, visibility or the viewer's likes/shares/saves differently from what clients see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ..api.entities.notifications import grouped_entities
from ..api.entities.statuses import status_entities
from ..api.keys import NODE
from ..models import Account, Status
from ..services import notification_groups, notifications
from ..services.paging import Page


async def status_views(request: web.Request, rows: Sequence[Status], me: Account | None) -> list[dict[str, Any]]:
    """The API's entities, each reply also carrying `reply_to` ({id, acct}: whom it answers), so a page can
    say "Replying to @x" as Mastodon does even when the reply does not mention them."""
    views = await status_entities(request.app[NODE], list(rows), me)
    wanted = {int(v["in_reply_to_account_id"]) for v in _originals(views) if v.get("in_reply_to_account_id")}
    if wanted:
        accounts = {str(a.id): a.acct() for a in await Account.filter(id__in=wanted)}
        for view in _originals(views):
            acct = accounts.get(view.get("in_reply_to_account_id") or "")
            view["reply_to"] = {"id": view["in_reply_to_id"], "acct": acct} if acct else None
    return views


def _originals(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v["reblog"] or v for v in views]


def shown_once(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A feed shows each post once: a share of a post already on the page (or shared twice) is dropped,
    the newest appearance kept, as Mastodon's home feed does."""
    seen: set[str] = set()
    kept = []
    for view in views:
        key = (view["reblog"] or view)["id"]
        if key not in seen:
            seen.add(key)
            kept.append(view)
    return kept


async def notification_group_views(request: web.Request, me: Account, page: Page) -> tuple[list[dict[str, Any]], list[int]]:
    """The signed-in person's notification groups as pages show them: the API's grouped entities, each
    group with its accounts and status in place and whether it came after the read marker."""
    groups = await notification_groups.group_page(me, page, notification_groups.Filters())
    body = await grouped_entities(request.app[NODE], groups, me)
    accounts = {a["id"]: a for a in body["accounts"]}
    statuses = {s["id"]: s for s in body["statuses"]}
    marker = await notifications.read_marker(me)
    read_up_to = marker.last_read_id if marker is not None else 0
    views = []
    for group in body["notification_groups"]:
        people = [accounts[a] for a in group["sample_account_ids"] if a in accounts]
        views.append({**group, "accounts": people, "status": statuses.get(group.get("status_id") or ""),
                      "others": group["notifications_count"] - 1, "own": people[0]["id"] == str(me.id),
                      "unread": int(group["most_recent_notification_id"]) > read_up_to})
    return views, [g.notification.id for g in groups]
