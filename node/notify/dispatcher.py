"""The dispatcher: the persisted step between stored notifications and push and mail.

It walks notifications after a stored cursor and, in one transaction with moving the cursor, writes the
push and mail jobs they cause (per the account's preferences and each push subscription's alerts and
policy). A crash before that commit replays the same notifications; after it, the jobs are in the table
and the workers send them. Nothing depends on an in-memory subscriber.

Quiet hours: a job for an account inside its quiet window is written `held` until the window ends; the
first pass after that folds each account's held jobs per channel (and per push subscription) into one
summary job. The digest pass writes one mail per account per day or week.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from ..models import (
    ChannelCursor,
    ChannelJob,
    Follow,
    Notification,
    NotificationSettings,
    PushSubscription,
    User,
    snowflake_floor,
)
from ..runtime import Node
from . import preferences

CURSOR = "notification-channels"
BATCH = 1000
# Notification ids are taken before their transaction commits, so one can become visible after a later
# id did; reading only ids older than this leaves room for the slowest write to land before the cursor passes.
SETTLE = timedelta(seconds=2)
DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
KEEP_FINISHED = timedelta(days=7)  # sent, folded and failed jobs stay this long for an admin to look at


def mail_enabled(node: Node) -> bool:
    return bool(node.config.mail.smtp_host and node.config.mail.sender)


async def start_cursor(now: datetime | None = None) -> None:
    """A node's first start begins at the present, so notifications from before channels existed are not sent."""
    await ChannelCursor.get_or_create(
        name=CURSOR, defaults={"position": snowflake_floor(now or datetime.now(UTC))}
    )


def _policy_allows(policy: str, recipient: int, sender: int, follows: set[tuple[int, int]]) -> bool:
    if policy == "all":
        return True
    if policy == "followed":  # only from people the recipient follows
        return (recipient, sender) in follows
    if policy == "follower":  # only from people who follow the recipient
        return (sender, recipient) in follows
    return False


async def _jobs_for(node: Node, rows: list[Notification], now: datetime) -> list[ChannelJob]:
    account_ids = list({n.account_id for n in rows})
    settings = {s.account_id: s for s in await NotificationSettings.filter(account_id__in=account_ids)}
    subscriptions: dict[int, list[PushSubscription]] = defaultdict(list)
    for sub in await PushSubscription.filter(account_id__in=account_ids):
        subscriptions[sub.account_id].append(sub)
    mailable: set[int] = set()
    if mail_enabled(node):
        mailable = set(
            await User.filter(account_id__in=account_ids, email_confirmed=True, approved=True)
            .exclude(email="")
            .values_list("account_id", flat=True)
        )
    follows: set[tuple[int, int]] = set()
    if any(s.policy in ("followed", "follower") for subs in subscriptions.values() for s in subs):
        people = list({n.account_id for n in rows} | {n.from_account_id for n in rows})
        follows = {
            (a, t)
            for a, t in await Follow.filter(account_id__in=people, target_account_id__in=people).values_list(
                "account_id", "target_account_id"
            )
        }
    jobs = []
    for n in rows:
        mine = settings.get(n.account_id)
        quiet_until = preferences.quiet_hours(mine).ends_after(now)
        state, due = ("held", quiet_until.astimezone(UTC)) if quiet_until else ("pending", now)

        common = {
            "account_id": n.account_id,
            "notification_ids": [n.id],
            "state": state,
            "due_at": due,
            "created_at": now,
        }
        if preferences.wants(mine, n.type, "push"):
            jobs.extend(
                ChannelJob(channel="push", subscription=sub, **common)
                for sub in subscriptions.get(n.account_id, ())
                if sub.alerts.get(n.type)
                and _policy_allows(sub.policy, n.account_id, n.from_account_id, follows)
            )
        if n.account_id in mailable and preferences.wants(mine, n.type, "email"):
            jobs.append(ChannelJob(channel="email", **common))
    return jobs


async def _release_held(now: datetime) -> int:
    """Fold every held job whose quiet window has ended into one summary per account, channel and subscription."""
    held = list(await ChannelJob.filter(state="held", due_at__lte=now).order_by("id"))
    if not held:
        return 0
    groups: dict[tuple[int, str, int | None], list[ChannelJob]] = defaultdict(list)
    for row in held:
        groups[(row.account_id, row.channel, row.subscription_id)].append(row)
    async with in_transaction():
        taken = await ChannelJob.filter(id__in=[r.id for r in held], state="held").update(state="summarised")
        if taken != len(held):  # another process released them first
            raise _Raced()
        await ChannelJob.bulk_create(
            [
                ChannelJob(
                    account_id=account_id,
                    channel=channel,
                    subscription_id=subscription_id,
                    kind="summary",
                    notification_ids=sorted({i for r in rows for i in r.notification_ids}),
                    state="pending",
                    due_at=now,
                    created_at=now,
                )
                for (account_id, channel, subscription_id), rows in groups.items()
            ]
        )
    return len(groups)


class _Raced(Exception):
    """Another dispatcher moved the cursor or took the held jobs first: this pass's writes are rolled back."""


async def run_once(node: Node, now: datetime | None = None) -> int:
    """One pass: release ended quiet hours, then turn the next batch of notifications into jobs.
    Returns how many notifications and summaries it handled."""
    now = now or datetime.now(UTC)
    try:
        handled = await _release_held(now)
    except _Raced:
        handled = 0
    cursor, _ = await ChannelCursor.get_or_create(name=CURSOR, defaults={"position": 0})
    rows = list(
        # filtered notifications (the recipient's notification policy set them aside) are never pushed or mailed
        await Notification.filter(id__gt=cursor.position, id__lt=snowflake_floor(now - SETTLE), filtered=False)
        .order_by("id")
        .limit(BATCH)
    )
    if not rows:
        return handled
    jobs = await _jobs_for(node, rows, now)
    try:
        async with in_transaction():
            moved = await ChannelCursor.filter(name=CURSOR, position=cursor.position).update(
                position=rows[-1].id
            )
            if not moved:
                raise _Raced()
            if jobs:
                await ChannelJob.bulk_create(jobs, batch_size=500)
    except _Raced:
        return handled
    return handled + len(rows)


async def run_digests(node: Node, now: datetime | None = None) -> int:
    """Write a digest mail job for every account whose daily or weekly digest is due; returns how many."""
    now = now or datetime.now(UTC)
    if not mail_enabled(node):
        return 0
    written = 0
    for settings in await NotificationSettings.filter(email_digest__in=list(DIGEST_PERIODS)):
        period = DIGEST_PERIODS[settings.email_digest]
        if settings.digest_sent_at is not None and now - settings.digest_sent_at < period:
            continue
        since = settings.digest_sent_at or now - period
        if (
            not await User.filter(account_id=settings.account_id, email_confirmed=True)
            .exclude(email="")
            .exists()
        ):
            continue
        ids = list(
            await Notification.filter(
                account_id=settings.account_id, filtered=False, id__gte=snowflake_floor(since), id__lt=snowflake_floor(now)
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
        async with in_transaction():
            moved = await NotificationSettings.filter(
                id=settings.id, digest_sent_at=settings.digest_sent_at
            ).update(digest_sent_at=now)
            if moved and ids:
                await ChannelJob.create(
                    account_id=settings.account_id,
                    channel="email",
                    kind="digest",
                    notification_ids=ids,
                    due_at=now,
                    created_at=now,
                )
                written += 1
    return written


async def prune(node: Node, now: datetime | None = None) -> int:
    """Delete finished jobs (sent, summarised, failed, given up) older than KEEP_FINISHED; returns how many."""
    cutoff = (now or datetime.now(UTC)) - KEEP_FINISHED
    return await ChannelJob.filter(
        state__in=["sent", "summarised", "failed", "given_up"], created_at__lt=cutoff
    ).delete()


async def drain(node: Node, now: datetime | None = None) -> int:
    total = 0
    while handled := await run_once(node, now):
        total += handled
    return total
