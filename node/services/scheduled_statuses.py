"""Scheduled statuses: a post with `scheduled_at` is validated and kept until then (its media held for it),
and a periodic job publishes what is due by the node's clock. Mastodon's rules: at least 5 minutes ahead,
at most 300 waiting per account and 25 on one day.

Publishing removes the scheduled row in the same transaction that stores the status, so a status is published
once, also when a crash or restart interrupts the job: what is still in the table is still to publish.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from ..errors import DomainError, NotFound, ValidationFailed
from ..models import Account, MediaAttachment, ScheduledStatus, Status, row_id
from ..runtime import Node
from . import statuses
from .paging import Page

log = logging.getLogger(__name__)

MIN_OFFSET = timedelta(minutes=5)
TOTAL_LIMIT = 300
DAILY_LIMIT = 25
BATCH = 100  # due statuses published per run; the next run takes the rest


def parse_time(value: object) -> datetime:
    """An ISO 8601 time as clients send scheduled_at (a time without a zone is UTC)."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("Validation failed: Scheduled at is not a valid time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _check_time(
    node: Node, account: Account, scheduled_at: datetime, *, moving: int | None = None
) -> None:
    if scheduled_at <= node.clock.now() + MIN_OFFSET:
        raise ValidationFailed("Validation failed: Scheduled at The scheduled date must be in the future")
    others = ScheduledStatus.filter(account_id=account.id)
    if moving is not None:
        others = others.exclude(id=moving)
    if moving is None and await others.count() >= TOTAL_LIMIT:
        raise ValidationFailed(
            f"Validation failed: You have exceeded the limit of {TOTAL_LIMIT} scheduled posts"
        )
    day = scheduled_at.replace(hour=0, minute=0, second=0, microsecond=0)
    if (
        await others.filter(scheduled_at__gte=day, scheduled_at__lt=day + timedelta(days=1)).count()
        >= DAILY_LIMIT
    ):
        raise ValidationFailed(
            f"Validation failed: You have exceeded the limit of {DAILY_LIMIT} scheduled posts for today"
        )


def _params(draft: statuses.Draft, poll: dict | None, application_id: int | None) -> dict:
    return {
        "text": draft.text,
        "poll": poll,
        "media_ids": [str(i) for i in dict.fromkeys(draft.media_ids)] or None,
        "sensitive": draft.sensitive,
        "spoiler_text": draft.spoiler_text or None,
        "visibility": draft.visibility,
        "language": draft.language,
        "in_reply_to_id": str(draft.in_reply_to_id) if draft.in_reply_to_id else None,
        "application_id": application_id,
        "scheduled_at": None,
        "idempotency": None,
        "with_rate_limit": False,
    }


def draft_of(scheduled: ScheduledStatus) -> statuses.Draft:
    params = scheduled.params
    return statuses.Draft(
        text=params.get("text") or "",
        spoiler_text=params.get("spoiler_text") or "",
        sensitive=bool(params.get("sensitive")),
        visibility=params.get("visibility") or "public",
        language=params.get("language"),
        media_ids=[int(i) for i in params.get("media_ids") or []],
        poll=params.get("poll"),
        scheduled_status_id=scheduled.id,
        in_reply_to_id=int(params["in_reply_to_id"]) if params.get("in_reply_to_id") else None,
    )


async def schedule(
    node: Node,
    account: Account,
    draft: statuses.Draft,
    scheduled_at: datetime,
    *,
    application_id: int | None = None,
) -> ScheduledStatus:
    """Validate the draft as posting would and keep it for `scheduled_at`, holding its media."""
    await _check_time(node, account, scheduled_at)
    poll = await statuses.check_draft(node, account, draft)
    scheduled = ScheduledStatus(
        account_id=account.id,
        scheduled_at=scheduled_at,
        params=_params(draft, poll.as_params() if poll else None, application_id),
    )
    media_ids = list(dict.fromkeys(draft.media_ids))
    async with in_transaction():
        await scheduled.save()
        if media_ids:
            held = await MediaAttachment.filter(
                id__in=media_ids, status_id=None, scheduled_status_id=None
            ).update(scheduled_status_id=scheduled.id)
            if held != len(media_ids):  # a concurrent post took one since the check
                raise ValidationFailed("Validation failed: Media attachments not found or already used")
    return scheduled


async def own(account: Account, scheduled_id: int | str) -> ScheduledStatus:
    key = row_id(scheduled_id)
    scheduled = await ScheduledStatus.filter(id=key, account_id=account.id).first()
    if scheduled is None:
        raise NotFound()
    return scheduled


async def listed(account: Account, page: Page) -> list[ScheduledStatus]:
    return page.arrange(await page.filter(ScheduledStatus.filter(account_id=account.id)))


async def reschedule(
    node: Node, account: Account, scheduled_id: int | str, scheduled_at: datetime
) -> ScheduledStatus:
    scheduled = await own(account, scheduled_id)
    await _check_time(node, account, scheduled_at, moving=scheduled.id)
    scheduled.scheduled_at = scheduled_at
    await scheduled.save(update_fields=["scheduled_at"])
    return scheduled


async def cancel(account: Account, scheduled_id: int | str) -> None:
    """Drop a scheduled status; its media become free to use again (as Mastodon)."""
    scheduled = await own(account, scheduled_id)
    async with in_transaction():
        await MediaAttachment.filter(scheduled_status_id=scheduled.id).update(scheduled_status_id=None)
        await scheduled.delete()


async def held_media(scheduled: list[ScheduledStatus]) -> dict[int, list[MediaAttachment]]:
    """The media each scheduled status holds, in the order they were given."""
    ids = [s.id for s in scheduled]
    rows = await MediaAttachment.filter(scheduled_status_id__in=ids) if ids else []
    by_id = {m.id: m for m in rows}
    return {
        s.id: [
            by_id[int(i)]
            for i in s.params.get("media_ids") or []
            if int(i) in by_id and by_id[int(i)].scheduled_status_id == s.id
        ]
        for s in scheduled
    }


async def _publish(node: Node, scheduled: ScheduledStatus) -> Status | None:
    account = await Account.get(id=scheduled.account_id)
    if account.suspended_at is not None:  # kept, as Mastodon keeps it, should the account come back
        return None

    async def claim(_status: Status) -> None:  # inside the status's own transaction
        if not await ScheduledStatus.filter(id=scheduled.id).delete():
            raise _AlreadyPublished()

    try:
        return await statuses.create_status(
            node,
            account,
            draft_of(scheduled),
            application_id=scheduled.params.get("application_id"),
            extend=claim,
        )
    except _AlreadyPublished:
        return None
    except DomainError as error:  # e.g. the post replied to is gone: dropped, as Mastodon drops it
        log.warning("scheduled status %s could not be published: %s", scheduled.id, error.message)
        await MediaAttachment.filter(scheduled_status_id=scheduled.id).update(scheduled_status_id=None)
        await ScheduledStatus.filter(id=scheduled.id).delete()
        return None


class _AlreadyPublished(Exception):
    """Another run published this scheduled status first."""


async def publish_due(node: Node) -> int:
    """Publish every scheduled status whose time has come by the node's clock; returns how many."""
    due = (
        await ScheduledStatus.filter(scheduled_at__lte=node.clock.now())
        .order_by("scheduled_at", "id")
        .limit(BATCH)
    )
    published = 0
    for scheduled in due:
        if await _publish(node, scheduled) is not None:
            published += 1
    return published
