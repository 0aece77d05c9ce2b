"""What an account keeps for itself about others: private notes, endorsements (followed accounts featured on
its profile), blocked servers, and which of the people it follows also follow someone (familiar followers).

Blocking a server (as Mastodon's user-level domain blocks) hides its accounts' posts from one's timelines
and removes one's followers there.
"""

from __future__ import annotations

import re

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from ..errors import ValidationFailed
from ..models import (
    Account,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
)
from ..runtime import Node
from .paging import Page

NOTE_LIMIT = 2000
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$"
)


async def set_note(account: Account, target: Account, comment: str | None) -> None:
    comment = (comment or "").strip()
    if len(comment) > NOTE_LIMIT:
        raise ValidationFailed(f"Validation failed: Comment is too long (maximum is {NOTE_LIMIT} characters)")
    if not comment:
        await AccountNote.filter(account_id=account.id, target_account_id=target.id).delete()
        return
    updated = await AccountNote.filter(account_id=account.id, target_account_id=target.id).update(
        comment=comment
    )
    if not updated:
        await AccountNote.create(account_id=account.id, target_account_id=target.id, comment=comment)


async def endorse(account: Account, target: Account) -> None:
    """Feature a followed account on one's profile (idempotent)."""
    if not await Follow.filter(account_id=account.id, target_account_id=target.id).exists():
        raise ValidationFailed(
            "Validation failed: You must be already following the person you want to endorse"
        )
    if not await AccountPin.filter(account_id=account.id, target_account_id=target.id).exists():
        await AccountPin.create(account_id=account.id, target_account_id=target.id)


async def unendorse(account: Account, target: Account) -> None:
    await AccountPin.filter(account_id=account.id, target_account_id=target.id).delete()


async def endorsed(account_id: int, page: Page) -> tuple[list[Account], list[int]]:
    rows = page.arrange(
        await page.filter(AccountPin.filter(account_id=account_id)).values_list("id", "target_account_id")
    )
    found = (
        {a.id: a for a in await Account.filter(id__in=[t for _, t in rows], suspended_at=None)}
        if rows
        else {}
    )
    return [found[t] for _, t in rows if t in found], [r for r, _ in rows]


async def familiar_followers(viewer: Account, ids: list[int]) -> dict[int, list[Account]]:
    """For each account, the accounts the viewer follows that follow it too."""
    result: dict[int, list[Account]] = {}
    mine = Subquery(Follow.filter(account_id=viewer.id).values("target_account_id"))
    for target in dict.fromkeys(ids):
        follower_ids = (
            await Follow.filter(target_account_id=target, account_id__in=mine)
            .limit(80)
            .values_list("account_id", flat=True)
        )
        result[target] = (
            list(await Account.filter(id__in=follower_ids, suspended_at=None)) if follower_ids else []
        )
    return result


def _domain(raw: str | None) -> str:
    domain = (raw or "").strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _DOMAIN.match(domain):
        raise ValidationFailed("Validation failed: Domain is not a valid domain name")
    return domain


async def block_domain(node: Node, account: Account, raw: str | None) -> None:
    """Block a server for oneself: its posts leave one's timelines, one's followers there are removed."""
    domain = _domain(raw)
    if domain == node.config.node.domain.lower():
        raise ValidationFailed("Validation failed: You cannot block your own server")
    async with in_transaction():
        if not await AccountDomainBlock.filter(account_id=account.id, domain=domain).exists():
            await AccountDomainBlock.create(account_id=account.id, domain=domain)
        there = Subquery(Account.filter(domain=domain).values("id"))
        removed = await Follow.filter(target_account_id=account.id, account_id__in=there).delete()
        if removed:
            await Account.filter(id=account.id).update(
                followers_count=max(0, account.followers_count - removed)
            )


async def unblock_domain(account: Account, raw: str | None) -> None:
    await AccountDomainBlock.filter(account_id=account.id, domain=_domain(raw)).delete()


async def blocked_domains(account: Account, page: Page) -> tuple[list[str], list[int]]:
    rows = page.arrange(
        await page.filter(AccountDomainBlock.filter(account_id=account.id)).values_list("id", "domain")
    )
    return [d for _, d in rows], [r for r, _ in rows]


async def relationship_extras(viewer: Account, ids: list[int]) -> tuple[dict[int, str], set[int], set[int]]:
    """(notes by target, endorsed targets, targets on blocked servers) for Relationship entities."""
    notes = dict(
        await AccountNote.filter(account_id=viewer.id, target_account_id__in=ids).values_list(
            "target_account_id", "comment"
        )
    )
    pinned = set(
        await AccountPin.filter(account_id=viewer.id, target_account_id__in=ids).values_list(
            "target_account_id", flat=True
        )
    )
    domains = await AccountDomainBlock.filter(account_id=viewer.id).values_list("domain", flat=True)
    blocked = (
        set(await Account.filter(id__in=ids, domain__in=domains).values_list("id", flat=True))
        if domains
        else set()
    )
    return notes, pinned, blocked


async def suggestions(viewer: Account, limit: int) -> list[tuple[Account, str]]:
    """Accounts to follow, with why: followed by the people the viewer follows (friends_of_friends), then the
    most followed local accounts (global); never ones followed, requested, blocked, muted or dismissed."""
    follows = Subquery(Follow.filter(account_id=viewer.id).values("target_account_id"))
    excluded = {viewer.id}
    for model, column in (
        (Follow, "target_account_id"),
        (FollowRequest, "target_account_id"),
        (Block, "target_account_id"),
        (Mute, "target_account_id"),
        (SuggestionDismissal, "target_account_id"),
    ):
        excluded |= set(await model.filter(account_id=viewer.id).values_list(column, flat=True))
    excluded |= set(await Block.filter(target_account_id=viewer.id).values_list("account_id", flat=True))
    friends = (
        await Follow.filter(account_id__in=follows)
        .exclude(target_account_id__in=excluded)
        .annotate(n=Count("id"))
        .group_by("target_account_id")
        .order_by("-n", "target_account_id")
        .limit(limit)
        .values_list("target_account_id", flat=True)
    )
    chosen: list[tuple[int, str]] = [(i, "friends_of_friends") for i in friends]
    if len(chosen) < limit:
        popular = await (
            Account.filter(domain="", discoverable=True, suspended_at=None)
            .exclude(id__in=excluded | set(friends))
            .order_by("-followers_count", "id")
            .limit(limit - len(chosen))
            .values_list("id", flat=True)
        )
        chosen += [(i, "global") for i in popular]
    found = {a.id: a for a in await Account.filter(id__in=[i for i, _ in chosen], suspended_at=None)}
    return [(found[i], source) for i, source in chosen if i in found]


async def dismiss_suggestion(viewer: Account, target: Account) -> None:
    if not await SuggestionDismissal.filter(account_id=viewer.id, target_account_id=target.id).exists():
        await SuggestionDismissal.create(account_id=viewer.id, target_account_id=target.id)
