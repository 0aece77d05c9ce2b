"""Pinned posts: an account's own posts shown first on its profile (Mastodon's status pins). Local pins
are made here; remote accounts' pins are read from their `featured` collection (node.activitypub.featured)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from ..errors import ValidationFailed
from ..models import Account, Status, StatusPin
from ..runtime import Node
from . import visibility

MAX_PINS = 5  # Mastodon's limit for local accounts


async def pin(node: Node, account: Account, status_id: int | str) -> Status:
    """Pin one's own post (idempotent), with Mastodon's rules and messages."""
    status = await visibility.visible_status(account, status_id)
    if status.reblog_of_id is not None:
        raise ValidationFailed("Validation failed: A boost cannot be pinned")
    if status.account_id != account.id:
        raise ValidationFailed("Validation failed: Someone else's post cannot be pinned")
    if status.visibility == "direct":
        raise ValidationFailed(
            "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
        )
    if await StatusPin.filter(account_id=account.id, status_id=status.id).exists():
        return status
    if await StatusPin.filter(account_id=account.id).count() >= MAX_PINS:
        raise ValidationFailed("Validation failed: You have already pinned the maximum number of posts")
    try:
        await StatusPin.create(account_id=account.id, status_id=status.id)
    except IntegrityError:  # pinned twice at once
        return status
    await node.bus.publish("status.pinned", status=status, account=account)
    return status


async def unpin(node: Node, account: Account, status_id: int | str) -> Status:
    """Unpin (idempotent); unpinning someone else's post changes nothing."""
    status = await visibility.visible_status(account, status_id)
    if await StatusPin.filter(account_id=account.id, status_id=status.id).delete():
        await node.bus.publish("status.unpinned", status=status, account=account)
    return status


async def pinned_ids(account_id: int) -> list[int]:
    """The account's pinned status ids, most recently pinned first."""
    return list(
        await StatusPin.filter(account_id=account_id)
        .order_by("-created_at", "-id")
        .values_list("status_id", flat=True)
    )


async def replace_remote(account: Account, statuses: list[Status]) -> None:
    """A remote account's pins as its featured collection lists them now (first = most recent)."""
    wanted = [s.id for s in statuses if s.account_id == account.id][: MAX_PINS * 4]
    await StatusPin.filter(account_id=account.id).exclude(status_id__in=wanted).delete()
    have = set(await StatusPin.filter(account_id=account.id).values_list("status_id", flat=True))
    await StatusPin.bulk_create(
        [StatusPin(account_id=account.id, status_id=i) for i in reversed(wanted) if i not in have],
        ignore_conflicts=True,
    )
