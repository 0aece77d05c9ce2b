"""The tray (the accounts I follow with active stories I may see: mine first, then unseen before seen, then
the most recent first), one account's active stories, and the author's archive of every story they posted.

The tray is the hot read: a handful of queries whatever the number of followed accounts (their follow
rows, their active stories by the (account_id, expires_at) index, the close-friends and audience rows that
narrow them, my views), then one batch render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...models import Account, Follow, Story, StoryView
from ...runtime import Node
from ..paging import Page
from . import audience


@dataclass
class TrayEntry:
    account: Account
    stories: list[Story]
    seen: bool
    last_story_at: datetime
    close_friends: bool


async def seen_ids(viewer: Account, story_ids: list[int]) -> set[int]:
    if not story_ids:
        return set()
    return set(await StoryView.filter(account_id=viewer.id, story_id__in=story_ids).values_list("story_id", flat=True))


async def tray(node: Node, viewer: Account) -> list[TrayEntry]:
    now = node.clock.now()
    followed = await Follow.filter(account_id=viewer.id).values_list("target_account_id", flat=True)
    authors = [viewer.id, *followed]
    candidates = await Story.filter(account_id__in=authors, expired=False, expires_at__gt=now).order_by("id")
    shown = await audience.visible_among(viewer, candidates, now)
    if not shown:
        return []
    seen = await seen_ids(viewer, [s.id for s in shown])
    by_author: dict[int, list[Story]] = {}
    for story in shown:
        by_author.setdefault(story.account_id, []).append(story)
    accounts = {a.id: a for a in await Account.filter(id__in=list(by_author), suspended_at=None)}
    entries = [TrayEntry(accounts[author], stories, all(s.id in seen for s in stories), stories[-1].created_at,
                         any(s.audience == "close_friends" for s in stories))
               for author, stories in by_author.items() if author in accounts]
    # Mine first; then unseen before seen; within each, the most recent story first.
    entries.sort(key=lambda e: (e.account.id != viewer.id, e.seen, -e.last_story_at.timestamp()))
    return entries


async def account_stories(node: Node, viewer: Account | None, account_id: int | str) -> list[Story]:
    try:
        key = int(account_id)
    except (TypeError, ValueError):
        return []
    now = node.clock.now()
    rows = await Story.filter(account_id=key, expired=False, expires_at__gt=now).order_by("id")
    return await audience.visible_among(viewer, rows, now)


async def archive(account: Account, page: Page) -> tuple[list[Story], list[int]]:
    """Every story the author posted that is still kept (expired or not), newest first."""
    rows = page.arrange(await page.filter(Story.filter(account_id=account.id, local=True)))
    return list(rows), [s.id for s in rows]
