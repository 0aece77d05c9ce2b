"""Notifications: turn domain events into rows an account reads at /api/v1/notifications and, grouped, at
/api/v2/notifications (a new status's are written together with it, by status_rows).

Nobody is notified about their own actions, by someone they block, or by someone whose notifications they
muted; the account's notification policy then accepts, filters (kept aside, in a request) or drops the rest
(notification_policy), and grouping types get their group key (notification_groups).

Writing is the hot path (a popular post's likes arrive in bursts): on SQLite each notification is one
function on the connection's thread (node.db.write), so concurrent ones share a transaction and cost a few
indexed statements each; other databases take the same decisions through the ORM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .. import db, streaming
from ..errors import NotFound
from ..models import (
    Account,
    Block,
    DomainBlock,
    Favourite,
    Follow,
    FollowRequest,
    Marker,
    Mention,
    Mute,
    Notification,
    NotificationPermission,
    NotificationRequest,
    Poll,
    PollVote,
    Status,
    Take,
    TakeTemplate,
    User,
    row_id,
    snowflake,
)
from ..models.marker import TIMELINES
from ..runtime import Node
from . import notification_groups as groups
from . import notification_policy as policy
from .paging import Page

TEMPLATE_USED = "take_template_used"


@dataclass(frozen=True)
class Draft:
    """A notification to write: `subject` is what a "subject"-grouped type groups on (the trend, the
    template); `at` is when its cause happened (the hour it groups in)."""

    recipient_id: int
    sender_id: int
    kind: str
    status_id: int | None = None
    subject: int | str | None = None
    at: datetime | None = None
    about_self: bool = False


async def notify(
    node: Node,
    recipient: Account | int,
    kind: str,
    sender: Account | int,
    status: Status | None = None,
    *,
    about_self: bool = False,
    subject: int | str | None = None,
    at: datetime | None = None,
) -> Notification | None:
    """Notify a local recipient; `about_self` lets an event reach its own actor (their poll ended). Returns
    the notification (None when nobody is to hear of it); filtered ones are written but not announced."""
    recipient_id = recipient if isinstance(recipient, int) else recipient.id
    sender_id = sender if isinstance(sender, int) else sender.id
    if recipient_id == sender_id and not about_self:  # nobody hears about their own actions
        return None
    draft = Draft(
        recipient_id, sender_id, kind, status.id if status is not None else None, subject, at, about_self
    )
    if db.is_sqlite(Notification):
        notification = await db.write(lambda connection: write_row(connection, draft, status))
        if notification is not None:
            notification._saved_in_db = True
    else:
        async with in_transaction():
            notification = await _write_with_orm(draft, status)
    if notification is not None and not notification.filtered:
        await node.bus.publish("notification.created", notification=notification)
    return notification


# ---- SQLite: one notification in a few statements on the connection's thread -------------------------------------

_FACTS = (
    "SELECT r.domain = '', s.created_at, s.domain, "
    "EXISTS (SELECT 1 FROM blocks WHERE account_id = r.id AND target_account_id = s.id), "
    "EXISTS (SELECT 1 FROM mutes WHERE account_id = r.id AND target_account_id = s.id AND hide_notifications = 1), "
    "EXISTS (SELECT 1 FROM notification_permissions WHERE account_id = r.id AND from_account_id = s.id), "
    "EXISTS (SELECT 1 FROM follows WHERE account_id = r.id AND target_account_id = s.id) "
    " OR EXISTS (SELECT 1 FROM follow_requests WHERE account_id = r.id AND target_account_id = s.id), "
    "(SELECT created_at FROM follows WHERE account_id = s.id AND target_account_id = r.id), "
    "s.domain != '' AND EXISTS (SELECT 1 FROM domain_blocks WHERE domain = s.domain AND severity = 'silence'), "
    "p.for_not_following, p.for_not_followers, p.for_new_accounts, p.for_private_mentions, p.for_limited_accounts, "
    "s.domain = '' AND EXISTS (SELECT 1 FROM users WHERE account_id = s.id AND admin = 1) "
    "FROM accounts r JOIN accounts s ON s.id = ? LEFT JOIN notification_policies p ON p.account_id = r.id "
    "WHERE r.id = ?"
)
_STATUS = "SELECT visibility, in_reply_to_account_id FROM statuses WHERE id = ?"
_INSERT = (
    "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, group_key, filtered, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# At most one group of a prefix can be open within the span, so any match is the one to join.
_GROUP = "SELECT group_key FROM notifications WHERE account_id = ? AND group_key IN ({marks}) LIMIT 1"
_REQUEST = (
    "INSERT INTO notification_requests (id, account_id, from_account_id, last_status_id, notifications_count, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (account_id, from_account_id) DO UPDATE "
    "SET last_status_id = excluded.last_status_id, updated_at = excluded.updated_at, notifications_count = "
    f"MIN(notification_requests.notifications_count + 1, {policy.MEANINGFUL_COUNT})"
)


def _when(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    # a stamp written without an offset is UTC, as the ORM reads it (db.from_row): comparing it with the
    # aware clock would raise, and the notification would be lost
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment


def write_row(
    connection: sqlite3.Connection, draft: Draft, status: Status | None = None
) -> Notification | None:
    """SQLite: decide and write one notification inside the caller's (grouped) write."""
    row = connection.execute(_FACTS, (draft.sender_id, draft.recipient_id)).fetchone()
    if row is None or not row[0]:
        return None  # no such sender, or a remote recipient: their own server notifies them
    own = draft.about_self and draft.recipient_id == draft.sender_id
    now = datetime.now(UTC)
    verdict = "accept"
    if not own:
        if row[3] or row[4]:
            return None  # blocked, or their notifications muted
        private = False
        if draft.kind == "mention" and draft.status_id is not None:
            shown = (
                (status.visibility, status.in_reply_to_account_id)
                if status is not None
                else connection.execute(_STATUS, (draft.status_id,)).fetchone()
            )
            private = shown is not None and shown[0] == "direct" and shown[1] != draft.recipient_id
        stored = dict(zip(policy.FIELDS, row[9:14], strict=True)) if row[9] is not None else policy.DEFAULTS
        facts = policy.Facts(
            stored,
            bool(row[5]),
            bool(row[6]),
            _when(row[7]),
            _when(row[1]) or now,
            bool(row[8]),
            private,
            bool(row[14]),
        )
        verdict = policy.decide(draft.kind, facts, now)
    if verdict == "drop":
        return None
    filtered = verdict == "filter"
    key = None
    if (
        not filtered
        and (group_prefix := groups.prefix(draft.kind, draft.status_id, draft.subject)) is not None
    ):
        at = draft.at or now
        candidates = groups.candidate_keys(group_prefix, at)
        found = connection.execute(
            _GROUP.format(marks=",".join("?" * len(candidates))), (draft.recipient_id, *candidates)
        ).fetchone()
        key = found[0] if found else candidates[0]
    notification = Notification(
        id=snowflake(),
        account_id=draft.recipient_id,
        from_account_id=draft.sender_id,
        type=draft.kind,
        status_id=draft.status_id,
        group_key=key,
        filtered=filtered,
        created_at=now,
    )
    connection.execute(
        _INSERT,
        (
            notification.id,
            draft.recipient_id,
            draft.sender_id,
            draft.kind,
            draft.status_id,
            key,
            filtered,
            now,
        ),
    )
    if filtered and draft.kind == "mention":
        connection.execute(
            _REQUEST, (snowflake(), draft.recipient_id, draft.sender_id, draft.status_id, now, now)
        )
    return notification


# ---- other databases: the same decisions through the ORM ------------------------------------------------------


async def _write_with_orm(draft: Draft, status: Status | None) -> Notification | None:
    recipient = await Account.filter(id=draft.recipient_id, domain="").first()
    sender = await Account.filter(id=draft.sender_id).first()
    if recipient is None or sender is None:
        return None
    now = datetime.now(UTC)
    verdict = "accept"
    if not (draft.about_self and recipient.id == sender.id):
        if (
            await Block.filter(account_id=recipient.id, target_account_id=sender.id).exists()
            or await Mute.filter(
                account_id=recipient.id, target_account_id=sender.id, hide_notifications=True
            ).exists()
        ):
            return None
        if status is None and draft.status_id is not None:
            status = await Status.filter(id=draft.status_id).first()
        follow = await Follow.filter(account_id=sender.id, target_account_id=recipient.id).first()
        facts = policy.Facts(
            policy=await policy.policy_of(recipient),
            permitted=await NotificationPermission.filter(
                account_id=recipient.id, from_account_id=sender.id
            ).exists(),
            following=await Follow.filter(account_id=recipient.id, target_account_id=sender.id).exists()
            or await FollowRequest.filter(account_id=recipient.id, target_account_id=sender.id).exists(),
            follower_since=follow.created_at if follow is not None else None,
            sender_created_at=sender.created_at,
            sender_limited=bool(sender.domain)
            and await DomainBlock.filter(domain=sender.domain, severity="silence").exists(),
            private_mention=draft.kind == "mention"
            and status is not None
            and status.visibility == "direct"
            and status.in_reply_to_account_id != recipient.id,
            from_staff=not sender.domain and await User.filter(account_id=sender.id, admin=True).exists(),
        )
        verdict = policy.decide(draft.kind, facts, now)
    if verdict == "drop":
        return None
    filtered = verdict == "filter"
    key = None
    if (
        not filtered
        and (group_prefix := groups.prefix(draft.kind, draft.status_id, draft.subject)) is not None
    ):
        candidates = groups.candidate_keys(group_prefix, draft.at or now)
        found = (
            await Notification.filter(account_id=recipient.id, group_key__in=candidates)
            .limit(1)
            .values_list("group_key", flat=True)
        )
        key = found[0] if found else candidates[0]
    notification = await Notification.create(
        account_id=recipient.id,
        from_account_id=sender.id,
        type=draft.kind,
        status_id=draft.status_id,
        group_key=key,
        filtered=filtered,
    )
    if filtered and draft.kind == "mention":
        request, created = await NotificationRequest.get_or_create(
            account_id=recipient.id,
            from_account_id=sender.id,
            defaults={"last_status_id": draft.status_id, "notifications_count": 1},
        )
        if not created:
            await NotificationRequest.filter(
                id=request.id, notifications_count__lt=policy.MEANINGFUL_COUNT
            ).update(notifications_count=F("notifications_count") + 1)
            await NotificationRequest.filter(id=request.id).update(last_status_id=draft.status_id)
    return notification


# ---- a new status's notifications (inside its own write) ------------------------------------------------------

_STATUS_AUDIENCE = (
    "SELECT 'mention', account_id FROM mentions WHERE status_id = ? UNION ALL "
    "SELECT 'status', account_id FROM follows WHERE target_account_id = ? AND notify = 1"
)


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
    kinds = _status_kinds(
        status, {a for k, a in rows if k == "mention"}, {a for k, a in rows if k == "status"}
    )
    created = []
    for account_id, kind in kinds.items():
        made = write_row(connection, Draft(account_id, status.account_id, kind, status.id), status)
        if made is not None:
            created.append(made)
    return created


async def status_notifications(status: Status) -> list[Notification]:
    """The ORM's way of status_notification_rows (other databases), inside the caller's transaction."""
    mentioned = set(await Mention.filter(status_id=status.id).values_list("account_id", flat=True))
    pinged = set(
        await Follow.filter(target_account_id=status.account_id, notify=True).values_list(
            "account_id", flat=True
        )
    )
    created = []
    for account_id, kind in _status_kinds(status, mentioned, pinged).items():
        made = await _write_with_orm(Draft(account_id, status.account_id, kind, status.id), status)
        if made is not None:
            created.append(made)
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
        await notify(
            node, status.account_id, "favourite", favourite.account_id, status, at=favourite.created_at
        )

    @bus.on("follow.created")
    async def on_follow(follow: Follow) -> None:
        await notify(node, follow.target_account_id, "follow", follow.account_id, at=follow.created_at)

    @bus.on("follow.requested")
    async def on_request(request: FollowRequest) -> None:
        await notify(node, request.target_account_id, "follow_request", request.account_id)

    @bus.on("poll.ended")
    async def on_poll_ended(poll: Poll) -> None:
        status = await poll.status
        voters = set(await PollVote.filter(poll_id=poll.id).values_list("account_id", flat=True))
        for account_id in voters | {status.account_id}:
            await notify(node, account_id, "poll", status.account_id, status, about_self=True)

    @bus.on("notifications.merged")
    async def on_merged(account: Account) -> None:
        """Open apps reload their notifications when accepted requests have joined them (Mastodon's event)."""
        await streaming.publish(
            node, streaming.notifications_channel(account.id), "notifications_merged", "1"
        )

    @bus.on("take.used_template")
    async def on_template_used(take: Take, template: TakeTemplate) -> None:
        """The template's author hears that someone made a Take from it (grouped per template)."""
        status = await Status.filter(id=take.status_id).first()
        await notify(node, template.account_id, TEMPLATE_USED, take.account_id, status, subject=template.id)


async def listed(
    account: Account, page: Page, filters: groups.Filters = groups.Filters()
) -> list[Notification]:
    """A page of the account's notifications, newest first, filtered as /api/v1/notifications allows."""
    if not db.is_sqlite(Notification):
        return page.arrange(await page.filter(filters.query(account)))
    conditions, values = filters.sql(account.id)
    window, more, order = page.sql("id")
    sql = f"SELECT * FROM notifications WHERE {conditions}{window}{order}"
    # plain SQL hydrated by position: through the ORM a page of 40 cost more to build and parse than to read
    return page.arrange(await db.read(lambda connection: db.hydrate(Notification, connection.execute(
        sql, [*values, *more]))))


async def own_notification(account: Account, notification_id: int | str) -> Notification:
    key = row_id(notification_id)
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
    marker = await read_marker(account)
    query = Notification.filter(account_id=account.id, filtered=False)
    if marker is not None:
        query = query.filter(id__gt=marker.last_read_id)
    return len(await query.order_by("-id").limit(limit).values_list("id", flat=True))


async def unread_groups_count(account: Account, *, limit: int = 100) -> int:
    """Groups with notifications after the read marker (what the navigation's badge shows), capped."""
    marker = await read_marker(account)
    return await groups.unread_groups(
        account, marker.last_read_id if marker else None, limit, groups.Filters()
    )


async def mark_all_read(account: Account) -> None:
    """Move the notifications read marker to the newest notification."""
    newest = (
        await Notification.filter(account_id=account.id).order_by("-id").limit(1).values_list("id", flat=True)
    )
    if newest:
        await save_markers(account, {"notifications": newest[0]})


async def read_marker(account: Account) -> Marker | None:
    return await Marker.filter(account_id=account.id, timeline="notifications").first()


async def markers(account: Account, timelines: Sequence[str]) -> list[Marker]:
    return list(
        await Marker.filter(account_id=account.id, timeline__in=[t for t in timelines if t in TIMELINES])
    )


async def save_markers(account: Account, positions: dict[str, int]) -> list[Marker]:
    """Move read markers (Mastodon's POST /api/v1/markers); each save bumps the marker's version."""
    saved = []
    for timeline, last_read_id in positions.items():
        if timeline not in TIMELINES:
            continue
        marker, created = await Marker.get_or_create(
            account_id=account.id, timeline=timeline, defaults={"last_read_id": last_read_id}
        )
        if not created:
            marker.last_read_id = last_read_id
            marker.version += 1
            await marker.save(update_fields=["last_read_id", "version", "updated_at"])
        saved.append(marker)
    return saved
