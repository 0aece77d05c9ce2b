"""Grouped notifications, as Mastodon 4.3 computes them: which types group and on what, the group key a
new notification gets, and pages of groups (GET /api/v2/notifications).

A key is "<type>-<what it groups on>-<hour bucket>" ("favourite-<status id>-493817", "follow-493817"): a new
notification joins the newest group with its prefix that started less than GROUP_SPAN_HOURS ago, else it
starts a group in its own hour. Mastodon keeps the running bucket in Redis; we read it back from the
notifications table (one indexed lookup of the twelve possible keys), which gives the same keys.

A page holds the `limit` groups whose newest notification in the requested window is newest, each shown
by that notification; counts and sample accounts reach down from the top of the page, so a group seen on
two pages has the same key on both and clients merge them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from ..errors import NotFound
from ..models import Account, Notification, row_id
from ..models.notification import TYPES
from .paging import Page

GROUP_SPAN_HOURS = 12
SAMPLE_ACCOUNTS = 8

# The types that group, and on what: "status" (one group per post), "type" (all of that type together),
# "subject" (what the notifier names: the trend joined, the template used). Grouping a new type is one line.
GROUPED: dict[str, str] = {
    "favourite": "status",
    "reblog": "status",
    "follow": "type",
    "admin.sign_up": "type",
    "take_trend_joined": "subject",
    "take_template_used": "subject",
    "story_sticker_answer": "subject",  # per sticker
    "e2ee_message": "subject",  # one group per sender: "bob sent you messages"
    "e2ee_call": "subject",  # one group per caller
}


def prefix(kind: str, status_id: int | None, subject: int | str | None = None) -> str | None:
    """What a notification's group key starts with, or None for a type that does not group."""
    on = GROUPED.get(kind)
    if on is None:
        return None
    if on == "type":
        return kind
    target = status_id if on == "status" else subject
    return None if target is None else f"{kind}-{target}"


def hour_bucket(at: datetime) -> int:
    return int(at.timestamp()) // 3600


def candidate_keys(group_prefix: str, at: datetime) -> list[str]:
    """The keys a notification at `at` could join: its prefix's groups that began under the span ago."""
    bucket = hour_bucket(at)
    return [f"{group_prefix}-{b}" for b in range(bucket, bucket - GROUP_SPAN_HOURS, -1)]


def shown_key(notification: Notification, grouped_types: Sequence[str] | None = None) -> str:
    """The key a notification is listed under: its group's, or "ungrouped-<id>" (types left ungrouped)."""
    if notification.group_key and (grouped_types is None or notification.type in grouped_types):
        return notification.group_key
    return f"ungrouped-{notification.id}"


@dataclass
class Group:
    key: str
    notification: Notification  # the newest in the page: its type and status stand for the group
    sample_account_ids: list[int]
    count: int
    most_recent_id: int
    page_min_id: int | None = None  # set on pages (not on GET /:group_key)
    latest_at: datetime | None = None


@dataclass(frozen=True)
class Filters:
    """Which notifications a listing reads (Mastodon's `browserable` scope)."""

    types: Sequence[str] = ()
    exclude_types: Sequence[str] = ()
    from_account_id: int | None = None
    include_filtered: bool = False

    def _types(self) -> list[str] | None:
        """The types asked for, or None for all of them."""
        wanted = [t for t in self.types if t in TYPES] if self.types else list(TYPES)
        wanted = [t for t in wanted if t not in self.exclude_types]
        return wanted if len(wanted) < len(TYPES) else None

    def query(self, account: Account):  # type: ignore[no-untyped-def]
        query = Notification.filter(account_id=account.id)
        if (wanted := self._types()) is not None:
            query = query.filter(type__in=wanted)
        if self.from_account_id is not None:
            query = query.filter(from_account_id=self.from_account_id)
        elif not self.include_filtered:
            query = query.filter(filtered=False)
        return query

    def sql(self, account_id: int) -> tuple[str, list[Any]]:
        """The same for a hand-written SQLite read of notifications: its WHERE conditions and their values."""
        conditions, values = ["account_id = ?"], [account_id]
        if (wanted := self._types()) is not None:
            conditions.append(f"type IN ({','.join('?' * len(wanted))})" if wanted else "0")
            values += wanted
        if self.from_account_id is not None:
            conditions.append("from_account_id = ?")
            values.append(self.from_account_id)
        elif not self.include_filtered:
            conditions.append("filtered = 0")
        return " AND ".join(conditions), values


async def _representative_ids(
    account: Account, page: Page, filters: Filters, grouped_types: Sequence[str] | None
) -> list[int]:
    """Walk the window newest first (oldest first after min_id) and keep the first notification of each
    group until `limit` groups are found; their ids, newest first. Each step reads bare (id, type, key)
    tuples and leaves out the groups already found, so a group of ten thousand likes is skipped by the
    database, not read row by row (as Mastodon's recursive query does)."""
    query = filters.query(account)
    if page.max_id is not None:
        query = query.filter(id__lt=page.max_id)
    if page.since_id is not None:
        query = query.filter(id__gt=page.since_id)
    upward = page.min_id is not None
    if upward:
        query = query.filter(id__gt=page.min_id)
    found: dict[str, int] = {}
    cursor: int | None = None
    chunk = max(page.limit * 2, 40)
    while len(found) < page.limit:
        step = query
        if cursor is not None:
            step = step.filter(id__gt=cursor) if upward else step.filter(id__lt=cursor)
        seen = [key for key in found if not key.startswith("ungrouped-")]
        if seen:
            step = step.filter(Q(group_key__isnull=True) | ~Q(group_key__in=seen))
        rows = (
            await step.order_by("id" if upward else "-id").limit(chunk).values_list("id", "type", "group_key")
        )
        for key_id, kind, group_key in rows:
            shown = (
                group_key
                if group_key and (grouped_types is None or kind in grouped_types)
                else f"ungrouped-{key_id}"
            )
            found.setdefault(shown, key_id)
            if len(found) == page.limit:
                break
        if len(rows) < chunk:
            break
        cursor = rows[-1][0]
    return sorted(found.values(), reverse=True)


async def _representatives(
    account: Account, page: Page, filters: Filters, grouped_types: Sequence[str] | None
) -> list[Notification]:
    ids = await _representative_ids(account, page, filters, grouped_types)
    by_id = {n.id: n for n in await Notification.filter(id__in=ids)} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


async def _fill(account: Account, group: Group, low: int | None, high: int | None) -> None:
    """Count, sample and bound a real group within the page's range (ids <= high; page_min_id >= low)."""
    query = Notification.filter(account_id=account.id, group_key=group.key)
    upto = query.filter(id__lte=high) if high is not None else query
    newest = (
        await upto.order_by("-id")
        .limit(SAMPLE_ACCOUNTS * 4)
        .values_list("id", "from_account_id", "created_at")
    )
    if not newest:
        return
    group.most_recent_id, group.latest_at = newest[0][0], newest[0][2]
    samples: list[int] = []
    for _, sender, _ in newest:
        if sender not in samples:
            samples.append(sender)
    group.sample_account_ids = samples[:SAMPLE_ACCOUNTS]
    group.count = await upto.count()
    if low is not None:
        first = await query.filter(id__gte=low).order_by("id").limit(1).values_list("id", flat=True)
        group.page_min_id = first[0] if first else group.most_recent_id


async def group_page(
    account: Account, page: Page, filters: Filters, grouped_types: Sequence[str] | None = None
) -> list[Group]:
    """A page of groups, newest first (GET /api/v2/notifications); grouped_types limits which types group."""
    rows = await _representatives(account, page, filters, grouped_types)
    if not rows:
        return []
    low, high = rows[-1].id, rows[0].id
    if len(rows) < page.limit:  # the last page in its direction: the range reaches to the window's edge
        if page.min_id is not None:
            high = page.max_id - 1 if page.max_id is not None else None
        else:
            low = page.since_id + 1 if page.since_id is not None else None
    groups = []
    for row in rows:
        key = shown_key(row, grouped_types)
        group = Group(key, row, [row.from_account_id], 1, row.id, row.id, row.created_at)
        if not key.startswith("ungrouped-"):
            await _fill(account, group, low, high)
        groups.append(group)
    return groups


async def one_group(account: Account, key: str) -> Group:
    """GET /api/v2/notifications/:group_key: the whole group, without page bounds."""
    rows = await keyed(account, key, limit=1)
    if not rows:
        raise NotFound()
    row = rows[0]
    group = Group(shown_key(row), row, [row.from_account_id], 1, row.id)
    if row.group_key:
        await _fill(account, group, None, None)
        group.page_min_id = group.latest_at = None
    return group


def _keyed_query(account: Account, key: str):  # type: ignore[no-untyped-def]
    query = Notification.filter(account_id=account.id)
    if key.startswith("ungrouped-"):
        return query.filter(id=row_id(key.removeprefix("ungrouped-")))
    return query.filter(group_key=key)


async def keyed(
    account: Account, key: str, *, page: Page | None = None, limit: int = 1
) -> list[Notification]:
    """The group's notifications, newest first (a window of them when `page` is given)."""
    query = _keyed_query(account, key)
    if page is not None:
        return page.arrange(await page.filter(query))
    return list(await query.order_by("-id").limit(limit))


async def dismiss(account: Account, key: str) -> None:
    await _keyed_query(account, key).delete()


async def unread_groups(
    account: Account,
    after_id: int | None,
    limit: int,
    filters: Filters,
    grouped_types: Sequence[str] | None = None,
) -> int:
    """How many groups have notifications after the read marker (GET /api/v2/notifications/unread_count)."""
    page = Page(max_id=None, since_id=None, min_id=after_id or 0, limit=limit)
    return len(await _representative_ids(account, page, filters, grouped_types))


async def senders(rows: Sequence[Notification]) -> dict[int, Account]:
    ids = {n.from_account_id for n in rows}
    return {a.id: a for a in await Account.filter(id__in=ids)} if ids else {}
