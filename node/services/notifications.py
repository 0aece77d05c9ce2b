"""Notifications: turn domain events into rows an account reads at /api/v1/notifications (a new status's
are written together with it, by status_rows).

Nobody is notified about their own actions, by someone they block, or by someone whose notifications
they muted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from ..errors import NotFound
from ..models import (
    Account,
    Block,
    Favourite,
    Follow,
    FollowRequest,
    Marker,
    Mention,
    Mute,
    Notification,
    Poll,
    PollVote,
    Status,
    snowflake,
)
from ..models.marker import TIMELINES
from ..runtime import Node
from .paging import Page


async def _silenced(recipient_id: int, sender_id: int) -> bool:
    if recipient_id == sender_id:
        return True
    if await Block.filter(account_id=recipient_id, target_account_id=sender_id).exists():
        return True
    return await Mute.filter(account_id=recipient_id, target_account_id=sender_id, hide_notifications=True).exists()


async def notify(node: Node, recipient: Account | int, kind: str, sender: Account | int,
                 status: Status | None = None, *, about_self: bool = False) -> Notification | None:
    """Notify a local recipient; `about_self` lets an event reach its own actor (their poll ended)."""
    recipient_id = recipient if isinstance(recipient, int) else recipient.id
    sender_id = sender if isinstance(sender, int) else sender.id
    if recipient_id == sender_id and not about_self:  # nobody hears about their own actions
        return None
    local = await Account.filter(id=recipient_id, domain="").exists()
    if not local or (not (about_self and recipient_id == sender_id) and await _silenced(recipient_id, sender_id)):
        return None
    notification = await Notification.create(account_id=recipient_id, from_account_id=sender_id, type=kind,
                                             status=status)
    await node.bus.publish("notification.created", notification=notification)
    return notification


# A new status's notifications are written inside its own write (status_rows): on SQLite with the two
# hand-written queries below on the connection's thread, elsewhere with the ORM.
_STATUS_AUDIENCE = ("SELECT 'mention', account_id FROM mentions WHERE status_id = ? UNION ALL "
                    "SELECT 'status', account_id FROM follows WHERE target_account_id = ? AND notify = 1")
_REACHABLE = ("SELECT a.id FROM accounts a WHERE a.id IN ({marks}) AND a.domain = '' "
              "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = a.id AND b.target_account_id = ?) "
              "AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = a.id AND m.target_account_id = ? "
              "AND m.hide_notifications = 1)")
_INSERT = ("INSERT INTO notifications (id, account_id, from_account_id, type, status_id, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?)")


def _status_kinds(status: Status, mentioned: set[int], pinged: set[int]) -> dict[int, str]:
    """Mentions (a reply counts as one for the parent's author) and, for statuses their followers may see,
    "status" notifications to followers who turned them on."""
    if status.in_reply_to_account_id is not None:
        mentioned = mentioned | {status.in_reply_to_account_id}
    kinds = dict.fromkeys(mentioned, "mention")
    if status.visibility in ("public", "unlisted", "private"):
        kinds.update({a: "status" for a in pinged if a not in kinds})
    kinds.pop(status.account_id, None)  # nobody hears about their own post
    return kinds


def status_notification_rows(connection: sqlite3.Connection, status: Status) -> list[Notification]:
    """SQLite: the notifications a new status causes, written inside the caller's grouped write."""
    rows = connection.execute(_STATUS_AUDIENCE, (status.id, status.account_id)).fetchall()
    kinds = _status_kinds(status, {a for k, a in rows if k == "mention"}, {a for k, a in rows if k == "status"})
    if not kinds:
        return []
    reachable = {row[0] for row in connection.execute(_REACHABLE.format(marks=",".join("?" * len(kinds))),
                                                      [*kinds, status.account_id, status.account_id])}
    now = datetime.now(UTC)
    created = [Notification(id=snowflake(), account_id=a, from_account_id=status.account_id, type=kinds[a],
                            status_id=status.id, created_at=now) for a in kinds if a in reachable]
    connection.executemany(_INSERT, [(n.id, n.account_id, n.from_account_id, n.type, n.status_id, now)
                                     for n in created])
    return created


async def status_notifications(status: Status) -> list[Notification]:
    """The ORM's way of status_notification_rows (other databases), inside the caller's transaction."""
    mentioned = set(await Mention.filter(status_id=status.id).values_list("account_id", flat=True))
    pinged = set(await Follow.filter(target_account_id=status.account_id, notify=True).values_list(
        "account_id", flat=True))
    kinds = _status_kinds(status, mentioned, pinged)
    local = set(await Account.filter(id__in=list(kinds), domain="").values_list("id", flat=True)) if kinds else set()
    created = [Notification(account_id=a, from_account_id=status.account_id, type=kinds[a], status_id=status.id)
               for a in kinds if a in local and not await _silenced(a, status.account_id)]
    if created:
        await Notification.bulk_create(created)
    return created


def subscribe(node: Node) -> None:
    bus = node.bus

    @bus.on("reblog.created")
    async def on_reblog(status: Status) -> None:
        original = await status.reblog_of
        await notify(node, original.account_id, "reblog", status.account_id, original)

    @bus.on("status.updated")
    async def on_update(status: Status) -> None:
        rebloggers = await Status.filter(reblog_of_id=status.id).values_list("account_id", flat=True)
        for account_id in set(rebloggers):
            await notify(node, account_id, "update", status.account_id, status)

    @bus.on("favourite.created")
    async def on_favourite(favourite: Favourite) -> None:
        status = await favourite.status
        await notify(node, status.account_id, "favourite", favourite.account_id, status)

    @bus.on("follow.created")
    async def on_follow(follow: Follow) -> None:
        await notify(node, follow.target_account_id, "follow", follow.account_id)

    @bus.on("follow.requested")
    async def on_request(request: FollowRequest) -> None:
        await notify(node, request.target_account_id, "follow_request", request.account_id)

    @bus.on("poll.ended")
    async def on_poll_ended(poll: Poll) -> None:
        status = await poll.status
        voters = set(await PollVote.filter(poll_id=poll.id).values_list("account_id", flat=True))
        for account_id in voters | {status.account_id}:
            await notify(node, account_id, "poll", status.account_id, status, about_self=True)


async def listed(account: Account, page: Page, *, types: Sequence[str] = (), exclude_types: Sequence[str] = (),
                 from_account_id: int | None = None) -> list[Notification]:
    """A page of the account's notifications, newest first, filtered as /api/v1/notifications allows."""
    query = Notification.filter(account_id=account.id)
    if types:
        query = query.filter(type__in=list(types))
    if exclude_types:
        query = query.filter(type__not_in=list(exclude_types))
    if from_account_id is not None:
        query = query.filter(from_account_id=from_account_id)
    return page.arrange(await page.filter(query))


async def own_notification(account: Account, notification_id: int | str) -> Notification:
    try:
        key = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    notification = await Notification.filter(id=key, account_id=account.id).first()
    if notification is None:
        raise NotFound()
    return notification


async def dismiss(account: Account, notification_id: int | str) -> None:
    await (await own_notification(account, notification_id)).delete()


async def clear(account: Account) -> None:
    await Notification.filter(account_id=account.id).delete()


async def unread_count(account: Account, *, limit: int = 100) -> int:
    """Notifications after the account's notifications read marker (all of them without one), capped."""
    marker = await Marker.filter(account_id=account.id, timeline="notifications").first()
    query = Notification.filter(account_id=account.id)
    if marker is not None:
        query = query.filter(id__gt=marker.last_read_id)
    return len(await query.order_by("-id").limit(limit).values_list("id", flat=True))


async def markers(account: Account, timelines: Sequence[str]) -> list[Marker]:
    return list(await Marker.filter(account_id=account.id, timeline__in=[t for t in timelines if t in TIMELINES]))


async def save_markers(account: Account, positions: dict[str, int]) -> list[Marker]:
    """Move read markers (Mastodon's POST /api/v1/markers); each save bumps the marker's version."""
    saved = []
    for timeline, last_read_id in positions.items():
        if timeline not in TIMELINES:
            continue
        marker, created = await Marker.get_or_create(account_id=account.id, timeline=timeline,
                                                     defaults={"last_read_id": last_read_id})
        if not created:
            marker.last_read_id = last_read_id
            marker.version += 1
            await marker.save(update_fields=["last_read_id", "version", "updated_at"])
        saved.append(marker)
    return saved
