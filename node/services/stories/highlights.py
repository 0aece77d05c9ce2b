"""Highlights: permanent collections of an author's stories on their profile (expired stories included:
a story in a highlight keeps its files). Public like the profile, except that a close-friends story in a
highlight is still shown only to the author's close friends."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from ...errors import NotFound, ValidationFailed
from ...models import Account, CloseFriend, Highlight, HighlightItem, Story, row_id
from ...runtime import Node

MAX_TITLE = 100
MAX_ITEMS = 100
MAX_HIGHLIGHTS = 100


@dataclass
class Shown:
    highlight: Highlight
    stories: list[Story]


def _title(value: str | None, required: bool) -> str | None:
    if value is None:
        if required:
            raise ValidationFailed("Validation failed: title can't be blank")
        return None
    value = value.strip()
    if not value or len(value) > MAX_TITLE:
        raise ValidationFailed(f"Validation failed: title must be 1 to {MAX_TITLE} characters")
    return value


async def _own_stories(account: Account, story_ids: list[int]) -> list[int]:
    wanted = list(dict.fromkeys(story_ids))
    if len(wanted) > MAX_ITEMS:
        raise ValidationFailed(f"Validation failed: A highlight holds at most {MAX_ITEMS} stories")
    found = set(await Story.filter(id__in=wanted, account_id=account.id, local=True).values_list("id", flat=True))
    if missing := [str(i) for i in wanted if i not in found]:
        raise ValidationFailed(f"Validation failed: Stories {', '.join(missing)} not found")
    return wanted


def _cover(cover: int | None, items: list[int]) -> int | None:
    if cover is None:
        return items[0] if items else None
    if cover not in items:
        raise ValidationFailed("Validation failed: cover_story_id must be one of the highlight's stories")
    return cover


async def create(node: Node, account: Account, title: str | None, story_ids: list[int],
                 cover_story_id: int | None) -> Highlight:
    name = _title(title, True)
    items = await _own_stories(account, story_ids)
    if not items:
        raise ValidationFailed("Validation failed: A highlight needs at least one story (story_ids)")
    if await Highlight.filter(account_id=account.id).count() >= MAX_HIGHLIGHTS:
        raise ValidationFailed(f"Validation failed: You have {MAX_HIGHLIGHTS} highlights already")
    cover = _cover(cover_story_id, items)
    now = node.clock.now()
    async with in_transaction():
        highlight = await Highlight.create(account_id=account.id, title=name, cover_story_id=cover, created_at=now,
                                           updated_at=now)
        await HighlightItem.bulk_create([HighlightItem(highlight_id=highlight.id, story_id=s, position=i)
                                         for i, s in enumerate(items)])
    await node.bus.publish("highlight.changed", account=account)
    return highlight


async def own(account: Account, highlight_id: int | str) -> Highlight:
    key = row_id(highlight_id)
    highlight = await Highlight.filter(id=key, account_id=account.id).first()
    if highlight is None:
        raise NotFound()
    return highlight


async def story_ids(highlight: Highlight) -> list[int]:
    return list(await HighlightItem.filter(highlight_id=highlight.id).order_by("position").values_list(
        "story_id", flat=True))


async def own_stories(account: Account, ids: list[int]) -> list[Story]:
    return list(await Story.filter(id__in=ids, account_id=account.id, local=True))


async def update(node: Node, account: Account, highlight_id: int | str, title: str | None,
                 story_ids: list[int] | None, cover_story_id: int | None) -> Highlight:
    highlight = await own(account, highlight_id)
    name = _title(title, False)
    items = await _own_stories(account, story_ids) if story_ids is not None else list(
        await HighlightItem.filter(highlight_id=highlight.id).order_by("position").values_list("story_id", flat=True))
    if not items:
        raise ValidationFailed("Validation failed: A highlight needs at least one story (story_ids)")
    cover = _cover(cover_story_id if cover_story_id is not None else (
        highlight.cover_story_id if highlight.cover_story_id in items else None), items)
    async with in_transaction():
        if name is not None:
            highlight.title = name
        highlight.cover_story_id, highlight.updated_at = cover, node.clock.now()
        await highlight.save()
        if story_ids is not None:
            await HighlightItem.filter(highlight_id=highlight.id).delete()
            await HighlightItem.bulk_create([HighlightItem(highlight_id=highlight.id, story_id=s, position=i)
                                             for i, s in enumerate(items)])
    await node.bus.publish("highlight.changed", account=account)
    return highlight


async def delete(node: Node, account: Account, highlight_id: int | str) -> None:
    highlight = await own(account, highlight_id)
    await highlight.delete()
    await node.bus.publish("highlight.changed", account=account)


async def of_account(viewer: Account | None, account: Account) -> list[Shown]:
    """An account's highlights with the stories the viewer may see in each (empty ones left out)."""
    rows = await Highlight.filter(account_id=account.id).order_by("id")
    if not rows:
        return []
    items = await HighlightItem.filter(highlight_id__in=[h.id for h in rows]).order_by("position")
    stories = {s.id: s for s in await Story.filter(id__in=[i.story_id for i in items])}
    close = viewer is not None and (viewer.id == account.id or await CloseFriend.filter(
        account_id=account.id, friend_id=viewer.id).exists())
    shown = []
    for highlight in rows:
        mine = [stories[i.story_id] for i in items if i.highlight_id == highlight.id and i.story_id in stories]
        mine = [s for s in mine if s.audience == "followers" or close]
        if mine:
            shown.append(Shown(highlight, mine))
    return shown


async def one(viewer: Account | None, highlight_id: int | str) -> Shown:
    key = row_id(highlight_id)
    highlight = await Highlight.filter(id=key).first()
    author = await Account.filter(id=highlight.account_id).first() if highlight else None
    if author is None:
        raise NotFound()
    for shown in await of_account(viewer, author):
        if shown.highlight.id == key:
            return shown
    raise NotFound()
