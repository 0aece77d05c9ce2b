"""Relationships between accounts: follows and follow requests, blocks and mutes, and the follower and
following counters they move.

Every change runs in one transaction that also records its event (the transactional outbox, node/effects.py:
federation's activities are queued from it), and announces itself on the bus after commit (feeds,
notifications). A follow of a locked or a remote account starts as a FollowRequest: the
locked account's owner answers it here, a remote server answers with an Accept or Reject activity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from .. import effects
from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import Account, Block, Follow, FollowRequest, Mute, row_id
from ..runtime import Node

NOT_ALLOWED = "This action is not allowed"
MAX_MUTE_SECONDS = 365 * 24 * 3600 * 10


async def _shift_counts(follower_id: int, followed_id: int, delta: int) -> None:
    """Move both sides' counters in SQL, so concurrent follows cannot lose an update."""
    await Account.filter(id=follower_id).update(following_count=F("following_count") + delta)
    await Account.filter(id=followed_id).update(followers_count=F("followers_count") + delta)


async def _blocked_either_way(a: int, b: int) -> bool:
    return (await Block.filter(account_id=a, target_account_id=b).exists()
            or await Block.filter(account_id=b, target_account_id=a).exists())


async def _refresh(*accounts: Account) -> None:
    for account in accounts:
        await account.refresh_from_db(fields=["followers_count", "following_count"])


# ---- follows ---------------------------------------------------------------------------------------------


async def follow(node: Node, account: Account, target: Account, *, reblogs: bool | None = None,
                 notify: bool | None = None) -> Follow | FollowRequest:
    """Follow `target`, or ask to when it is locked or remote; repeating it updates the options."""
    if account.id == target.id or await _blocked_either_way(account.id, target.id):
        raise Forbidden(NOT_ALLOWED)
    await node.plugins.ensure_allowed("may_follow", account=account, target=target)
    options = {k: v for k, v in (("show_reblogs", reblogs), ("notify", notify)) if v is not None}
    existing = (await Follow.filter(account_id=account.id, target_account_id=target.id).first()
                or await FollowRequest.filter(account_id=account.id, target_account_id=target.id).first())
    if existing is not None:
        if options:
            existing.update_from_dict(options)
            await existing.save(update_fields=list(options))
        return existing
    if target.locked or not target.local:
        async with in_transaction():
            request = await FollowRequest.create(account_id=account.id, target_account_id=target.id, **options)
            effect = await effects.record(node, "follow.requested", request=request)
        await effects.announce(node, "follow.requested", effect, request=request)
        return request
    async with in_transaction():
        created = await Follow.create(account_id=account.id, target_account_id=target.id, **options)
        await _shift_counts(account.id, target.id, +1)
        effect = await effects.record(node, "follow.created", follow=created)
    await _refresh(account, target)
    await effects.announce(node, "follow.created", effect, follow=created)
    return created


async def unfollow(node: Node, account: Account, target: Account) -> None:
    """Stop following, or withdraw a pending request; a no-op when there was neither."""
    async with in_transaction():
        removed = await Follow.filter(account_id=account.id, target_account_id=target.id).delete()
        if removed:
            await _shift_counts(account.id, target.id, -1)
        withdrawn = await FollowRequest.filter(account_id=account.id, target_account_id=target.id).delete()
        effect = (await effects.record(node, "follow.deleted", account=account, target=target)
                  if removed or withdrawn else None)
    await _refresh(account, target)
    if removed or withdrawn:  # federation sends Undo Follow either way
        await effects.announce(node, "follow.deleted", effect, account=account, target=target)


async def remove_follower(node: Node, account: Account, follower: Account) -> None:
    """Make `follower` stop following `account` (Mastodon's remove_from_followers)."""
    await unfollow(node, follower, account)


async def incoming_request(account: Account, requester_id: int | str) -> FollowRequest:
    key = row_id(requester_id)
    request = await FollowRequest.filter(account_id=key, target_account_id=account.id).first()
    if request is None:
        raise NotFound()
    return request


async def authorize_request(node: Node, account: Account, requester_id: int | str) -> Follow:
    """Accept the follow request `requester_id` sent to `account`."""
    request = await incoming_request(account, requester_id)
    async with in_transaction():
        if not await FollowRequest.filter(id=request.id).delete():  # answered concurrently
            raise NotFound()
        created, fresh = await Follow.get_or_create(
            account_id=request.account_id, target_account_id=account.id,
            defaults={"show_reblogs": request.show_reblogs, "notify": request.notify, "uri": request.uri})
        effect = None
        if fresh:
            await _shift_counts(request.account_id, account.id, +1)
            effect = await effects.record(node, "follow.accepted", follow=created)
    await _refresh(account)
    if fresh:
        await effects.announce(node, "follow.accepted", effect, follow=created)
    return created


async def reject_request(node: Node, account: Account, requester_id: int | str) -> None:
    request = await incoming_request(account, requester_id)
    async with in_transaction():
        rejected = await FollowRequest.filter(id=request.id).delete()
        effect = await effects.record(node, "follow.rejected", request=request) if rejected else None
    if rejected:
        await effects.announce(node, "follow.rejected", effect, request=request)


# ---- blocks and mutes ------------------------------------------------------------------------------------


async def block(node: Node, account: Account, target: Account) -> Block:
    """Block `target`: follows both ways and pending requests both ways go too."""
    if account.id == target.id:
        raise Forbidden(NOT_ALLOWED)
    ended: list[tuple[Account, Account]] = []
    rejected: list[FollowRequest] = []
    async with in_transaction():
        created, fresh = await Block.get_or_create(account_id=account.id, target_account_id=target.id)
        for source, followed in ((account, target), (target, account)):
            if await Follow.filter(account_id=source.id, target_account_id=followed.id).delete():
                await _shift_counts(source.id, followed.id, -1)
                ended.append((source, followed))
        withdrawn = await FollowRequest.filter(account_id=account.id, target_account_id=target.id).delete()
        rejected = await FollowRequest.filter(account_id=target.id, target_account_id=account.id)
        await FollowRequest.filter(id__in=[r.id for r in rejected]).delete()
        if withdrawn:
            ended.append((account, target))
        # Every event the block causes is recorded with it, in this transaction (node/effects.py).
        events: list[tuple[str, dict[str, Any]]] = [
            *(("follow.deleted", {"account": source, "target": followed}) for source, followed in ended),
            *(("follow.rejected", {"request": request}) for request in rejected),
            *([("block.created", {"block": created})] if fresh else [])]
        recorded = [(name, await effects.record(node, name, **payload), payload) for name, payload in events]
    await _refresh(account, target)
    for name, effect, payload in recorded:
        await effects.announce(node, name, effect, **payload)
    return created


async def unblock(node: Node, account: Account, target: Account) -> None:
    async with in_transaction():
        removed = await Block.filter(account_id=account.id, target_account_id=target.id).delete()
        effect = await effects.record(node, "block.deleted", account=account, target=target) if removed else None
    if removed:
        await effects.announce(node, "block.deleted", effect, account=account, target=target)


async def mute(account: Account, target: Account, *, notifications: bool = True, duration: int = 0) -> Mute:
    """Mute `target` (and by default its notifications), forever or for `duration` seconds."""
    if account.id == target.id:
        raise Forbidden(NOT_ALLOWED)
    if duration < 0 or duration > MAX_MUTE_SECONDS:
        raise ValidationFailed("Validation failed: Duration is out of range")
    expires = datetime.now(UTC) + timedelta(seconds=duration) if duration else None
    row, _ = await Mute.update_or_create(account_id=account.id, target_account_id=target.id,
                                         defaults={"hide_notifications": notifications, "expires_at": expires})
    return row


async def unmute(account: Account, target: Account) -> None:
    await Mute.filter(account_id=account.id, target_account_id=target.id).delete()


async def expire_mutes() -> int:
    """Lift mutes whose time is up; a periodic job calls this (returns how many)."""
    return await Mute.filter(expires_at__lte=datetime.now(UTC)).delete()


# ---- lists (the API pages these on the relationship row's id) ---------------------------------------------


def followers_of(account: Account) -> QuerySet:
    return Follow.filter(target_account_id=account.id, account__suspended_at=None).select_related("account")


def following_of(account: Account) -> QuerySet:
    return Follow.filter(account_id=account.id, target_account__suspended_at=None).select_related("target_account")


def requests_to(account: Account) -> QuerySet:
    return FollowRequest.filter(target_account_id=account.id).select_related("account")


def blocks_of(account: Account) -> QuerySet:
    return Block.filter(account_id=account.id).select_related("target_account")


def mutes_of(account: Account) -> QuerySet:
    return Mute.filter(account_id=account.id).select_related("target_account")
