"""Hashtags as accounts relate to them: following one (its public posts, local and federated, come to the
home timeline from then on) and featuring some on one's profile (with suggestions from one's own use)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Count

from ..errors import NotFound, ValidationFailed
from ..models import Account, FeaturedTag, Status, StatusTag, Tag, TagFollow, row_id
from .paging import Page

NAME = re.compile(r"^#?(\w{1,128})$")
FEATURED_LIMIT = 10  # as Mastodon


def _name(raw: str | None) -> tuple[str, str]:
    """(lower-cased name, as written) of a hashtag given with or without '#'."""
    match = NAME.match((raw or "").strip())
    if match is None:
        raise ValidationFailed("Validation failed: Name is not a valid hashtag")
    return match.group(1).lower(), match.group(1)


async def existing(raw: str) -> Tag:
    """A hashtag this node knows (404 otherwise, as Mastodon's GET /api/v1/tags/:name)."""
    try:
        name, _ = _name(raw)
    except ValidationFailed:
        raise NotFound() from None
    tag = await Tag.filter(name=name).first()
    if tag is None:
        raise NotFound()
    return tag


async def ensure(raw: str) -> Tag:
    name, shown = _name(raw)
    tag = await Tag.filter(name=name).first()
    if tag is None:
        try:
            tag = await Tag.create(name=name, display_name=shown)
        except IntegrityError:  # made concurrently
            tag = await Tag.get(name=name)
    return tag


async def followed_ids(account: Account | None, tag_ids: list[int]) -> set[int]:
    if account is None or not tag_ids:
        return set()
    return set(
        await TagFollow.filter(account_id=account.id, tag_id__in=tag_ids).values_list("tag_id", flat=True)
    )


async def follow(account: Account, raw: str) -> Tag:
    tag = await ensure(raw)
    try:
        await TagFollow.create(account_id=account.id, tag_id=tag.id)
    except IntegrityError:  # already followed: idempotent, as Mastodon
        pass
    return tag


async def unfollow(account: Account, raw: str) -> Tag:
    tag = await ensure(raw)
    await TagFollow.filter(account_id=account.id, tag_id=tag.id).delete()
    return tag


async def followed(account: Account, page: Page) -> tuple[list[Tag], list[int]]:
    rows = page.arrange(
        await page.filter(TagFollow.filter(account_id=account.id)).values_list("id", "tag_id")
    )
    tags = {t.id: t for t in await Tag.filter(id__in=[t for _, t in rows])} if rows else {}
    return [tags[t] for _, t in rows if t in tags], [r for r, _ in rows]


# ---- featured tags ------------------------------------------------------------------------------------------


@dataclass
class Featured:
    row: FeaturedTag
    tag: Tag
    statuses_count: int
    last_status_at: datetime | None


async def _featured(account_id: int, rows: list[FeaturedTag]) -> list[Featured]:
    """With how often and how lately the account used each tag (its public and unlisted posts)."""
    result = []
    for row in rows:
        tag = await Tag.get(id=row.tag_id)
        used = Status.filter(
            account_id=account_id,
            visibility__in=("public", "unlisted"),
            reblog_of_id=None,
            id__in=Subquery(StatusTag.filter(tag_id=row.tag_id).values("status_id")),
        )
        count = await used.count()
        last = await used.order_by("-id").first()
        result.append(Featured(row, tag, count, last.created_at if last else None))
    return result


async def featured_of(account_id: int) -> list[Featured]:
    return await _featured(account_id, list(await FeaturedTag.filter(account_id=account_id).order_by("id")))


async def feature(account: Account, raw: str | None) -> Featured:
    tag = await ensure(raw or "")
    if await FeaturedTag.filter(account_id=account.id, tag_id=tag.id).exists():
        raise ValidationFailed("Validation failed: Tag has already been taken")
    if await FeaturedTag.filter(account_id=account.id).count() >= FEATURED_LIMIT:
        raise ValidationFailed(f"Validation failed: You can only feature up to {FEATURED_LIMIT} hashtags")
    row = await FeaturedTag.create(account_id=account.id, tag_id=tag.id)
    return (await _featured(account.id, [row]))[0]


async def unfeature(account: Account, featured_id: int | str) -> None:
    key = row_id(featured_id)
    if not await FeaturedTag.filter(id=key, account_id=account.id).delete():
        raise NotFound()


async def suggestions(account: Account, limit: int = 10) -> list[Tag]:
    """The hashtags the account used most on its latest posts, not featured yet (as Mastodon suggests)."""
    recent = Status.filter(account_id=account.id, reblog_of_id=None).order_by("-id").limit(200).values("id")
    used = (
        await StatusTag.filter(status_id__in=Subquery(recent))
        .annotate(uses=Count("id"))
        .group_by("tag_id")
        .order_by("-uses")
        .values_list("tag_id", "uses")
    )
    featured = set(await FeaturedTag.filter(account_id=account.id).values_list("tag_id", flat=True))
    ids = [tag_id for tag_id, _ in used if tag_id not in featured][:limit]
    tags = {t.id: t for t in await Tag.filter(id__in=ids)} if ids else {}
    return [tags[i] for i in ids if i in tags]
