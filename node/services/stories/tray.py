"""The tray (the accounts I follow with active stories I may see: mine first, then unseen before seen, then
the most recent first), one account's active stories, and the author's archive of every story they posted.

The tray is the hot read: a handful of queries whatever the number of followed accounts (their follow
rows, their active stories by the (account_id, expires_at) index, the close-friends and audience rows that
narrow them, my views), then one batch render.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ... import db
from ...models import Account, Follow, StickerAnswer, Story, StorySticker, StoryView, parse_id
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
    seen_ids: set[int] | None = None


@dataclass
class Extras:
    """What the tray's one read also fetched for rendering: every shown story's stickers (in order) and the
    viewer's own answers to them, so the entities need no further query for the common case."""

    stickers: list[StorySticker]
    answers: dict[int, StickerAnswer]


async def seen_ids(viewer: Account, story_ids: list[int]) -> set[int]:
    if not story_ids:
        return set()
    return set(await StoryView.filter(account_id=viewer.id, story_id__in=story_ids).values_list("story_id", flat=True))


# The tray's stories with audience.visible_among's rules applied in SQL (SQLite's fast path; the tests run
# both on the same data): mine, and my followings' that are for followers, for close friends I am one of
# (local authors' lists; remote stories name me), or answer a prompt of mine, with no block either way.
_TRAY_SQL = """
SELECT s.*, EXISTS (SELECT 1 FROM story_views v WHERE v.story_id = s.id AND v.account_id = :me) AS seen
FROM stories s
WHERE +s.expired = 0 AND s.expires_at > :now AND (s.account_id = :me OR (
  s.account_id IN (SELECT target_account_id FROM follows WHERE account_id = :me)
  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = :me AND b.target_account_id = s.account_id)
                                          OR (b.account_id = s.account_id AND b.target_account_id = :me))
  AND (s.audience = 'followers' OR s.add_yours_author_uri = :uri
       OR (s.local = 1 AND EXISTS (SELECT 1 FROM close_friends c WHERE c.account_id = s.account_id
                                                                  AND c.friend_id = :me))
       OR (s.local = 0 AND EXISTS (SELECT 1 FROM story_audiences a WHERE a.story_id = s.id
                                                                    AND a.account_id = :me)))))
ORDER BY s.id
"""


# The stickers of those stories, and my answers to them, in the same read (most stories have none).
_STICKERS_SQL = "SELECT st.* FROM story_stickers st WHERE st.story_id IN ({}) ORDER BY st.story_id, st.position"
_ANSWERS_SQL = "SELECT a.* FROM story_sticker_answers a WHERE a.account_id = ? AND a.sticker_id IN ({})"


def _read_tray(connection: sqlite3.Connection, viewer: Account, now: datetime) -> tuple[list[Story], set[int],
                                                                                         list[Account], Extras]:
    params = {"me": viewer.id, "now": now.isoformat(sep=" "), "uri": viewer.uri or "-"}
    stories, seen = [], set()
    for row in connection.execute(_TRAY_SQL, params):
        values = dict(row)
        if values.pop("seen"):
            seen.add(values["id"])
        stories.append(db.from_row(Story, values))
    ids = list({s.account_id for s in stories})
    accounts = [db.from_row(Account, row) for row in connection.execute(
        f"SELECT * FROM accounts WHERE suspended_at IS NULL AND id IN ({','.join('?' * len(ids))})", ids)] if ids else []
    story_ids = [s.id for s in stories]
    stickers = [db.from_row(StorySticker, row) for row in connection.execute(
        _STICKERS_SQL.format(",".join("?" * len(story_ids))), story_ids)] if story_ids else []
    sticker_ids = [s.id for s in stickers]
    answers = {a.sticker_id: a for a in (db.from_row(StickerAnswer, row) for row in connection.execute(
        _ANSWERS_SQL.format(",".join("?" * len(sticker_ids))), [viewer.id, *sticker_ids]))} if sticker_ids else {}
    return stories, seen, accounts, Extras(stickers, answers)


async def _tray_with_orm(viewer: Account, now: datetime) -> tuple[list[Story], set[int], list[Account]]:
    followed = await Follow.filter(account_id=viewer.id).values_list("target_account_id", flat=True)
    candidates = await Story.filter(account_id__in=[viewer.id, *followed], expired=False,
                                    expires_at__gt=now).order_by("id")
    shown = await audience.visible_among(viewer, candidates, now)
    seen = await seen_ids(viewer, [s.id for s in shown])
    accounts = list(await Account.filter(id__in={s.account_id for s in shown}, suspended_at=None))
    return shown, seen, accounts


async def tray_with_extras(node: Node, viewer: Account) -> tuple[list[TrayEntry], Extras | None]:
    """The tray, and on SQLite what its rendering needs read in the same round trip."""
    now = node.clock.now()
    extras = None
    if db.is_sqlite(Story):
        shown, seen, found, extras = await db.read(lambda connection: _read_tray(connection, viewer, now))
    else:
        shown, seen, found = await _tray_with_orm(viewer, now)
    if not shown:
        return [], extras
    by_author: dict[int, list[Story]] = {}
    for story in shown:
        by_author.setdefault(story.account_id, []).append(story)
    accounts = {a.id: a for a in found}
    entries = [TrayEntry(accounts[author], stories, all(s.id in seen for s in stories), stories[-1].created_at,
                         any(s.audience == "close_friends" for s in stories))
               for author, stories in by_author.items() if author in accounts]
    # Mine first; then unseen before seen; within each, the most recent story first.
    entries.sort(key=lambda e: (e.account.id != viewer.id, e.seen, -e.last_story_at.timestamp()))
    for entry in entries:
        entry.seen_ids = {s.id for s in entry.stories if s.id in seen}
    return entries, extras


async def tray(node: Node, viewer: Account) -> list[TrayEntry]:
    return (await tray_with_extras(node, viewer))[0]


async def account_stories(node: Node, viewer: Account | None, account_id: int | str) -> list[Story]:
    if (key := parse_id(account_id)) is None:
        return []
    now = node.clock.now()
    rows = await Story.filter(account_id=key, expired=False, expires_at__gt=now).order_by("id")
    return await audience.visible_among(viewer, rows, now)


async def archive(account: Account, page: Page) -> tuple[list[Story], list[int]]:
    """Every story the author posted that is still kept (expired or not), newest first."""
    rows = page.arrange(await page.filter(Story.filter(account_id=account.id, local=True)))
    return list(rows), [s.id for s in rows]
