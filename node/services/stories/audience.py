"""Who may see a story, and the close-friends list that narrows it.

A story is for its author, and then: `followers` for the author's followers; `close_friends` for the
accounts on the author's list (a remote close-friends story for the local accounts it was addressed to by
name). A story made to answer an "add yours" prompt is also shown to the prompt's author, who is credited
with it. A block either way hides it; an expired story is its author's alone (their archive).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ...errors import NotFound, ValidationFailed
from ...models import Account, CloseFriend, Follow, Story, StoryAudience, row_id
from ...runtime import Node
from .. import visibility

MAX_CLOSE_FRIENDS = 1000


def active(story: Story, now: datetime) -> bool:
    return not story.expired and story.expires_at > now


async def visible_among(viewer: Account | None, stories: Sequence[Story], now: datetime) -> list[Story]:
    """The stories the viewer may see now, in the order given, in a few queries for any number."""
    if viewer is None or not stories:
        return []
    mine = viewer.id
    others = [s for s in stories if s.account_id != mine and active(s, now)]
    authors = {s.account_id for s in others}
    blocked = await visibility.blocked_either_way(mine, authors)
    followed = set(await Follow.filter(account_id=mine, target_account_id__in=list(authors)).values_list(
        "target_account_id", flat=True)) if authors else set()
    local_cf = [s.account_id for s in others if s.audience == "close_friends" and s.local]
    listed = set(await CloseFriend.filter(friend_id=mine, account_id__in=local_cf).values_list(
        "account_id", flat=True)) if local_cf else set()
    remote_cf = [s.id for s in others if s.audience == "close_friends" and not s.local]
    addressed = set(await StoryAudience.filter(account_id=mine, story_id__in=remote_cf).values_list(
        "story_id", flat=True)) if remote_cf else set()

    def allowed(story: Story) -> bool:
        if story.account_id == mine:
            return True
        if story.account_id in blocked or not active(story, now):
            return False
        if story.add_yours_author_uri and story.add_yours_author_uri == viewer.uri:
            return True
        if story.audience == "close_friends":
            return story.account_id in listed if story.local else story.id in addressed
        return story.account_id in followed

    return [s for s in stories if allowed(s)]


async def can_see(viewer: Account | None, story: Story, now: datetime) -> bool:
    return bool(await visible_among(viewer, [story], now))


async def visible_story(node: Node, viewer: Account | None, story_id: int | str) -> Story:
    """A story the viewer may see (their own, expired or not): 404 otherwise."""
    key = row_id(story_id)
    story = await Story.filter(id=key).first()
    if story is None or not await can_see(viewer, story, node.clock.now()):
        raise NotFound()
    return story


async def own_story(account: Account, story_id: int | str) -> Story:
    key = row_id(story_id)
    story = await Story.filter(id=key, account_id=account.id).first()
    if story is None:
        raise NotFound()
    return story


# ---- close friends ----------------------------------------------------------------------------------------


async def close_friends(account: Account) -> list[Account]:
    ids = await CloseFriend.filter(account_id=account.id).order_by("id").values_list("friend_id", flat=True)
    found = {a.id: a for a in await Account.filter(id__in=list(ids))}
    return [found[i] for i in ids if i in found]


async def add_close_friends(node: Node, account: Account, friend_ids: list[int]) -> list[Account]:
    """Add accounts (local or remote, never oneself) to the list; all or none."""
    wanted = list(dict.fromkeys(friend_ids))
    if not wanted:
        raise ValidationFailed("Validation failed: account_ids must name at least one account")
    if account.id in wanted:
        raise ValidationFailed("Validation failed: You cannot be your own close friend")
    found = set(await Account.filter(id__in=wanted, suspended_at=None).values_list("id", flat=True))
    if missing := [str(i) for i in wanted if i not in found]:
        raise ValidationFailed(f"Validation failed: Accounts {', '.join(missing)} not found")
    have = set(await CloseFriend.filter(account_id=account.id).values_list("friend_id", flat=True))
    new = [i for i in wanted if i not in have]
    if len(have) + len(new) > MAX_CLOSE_FRIENDS:
        raise ValidationFailed(f"Validation failed: Close friends are at most {MAX_CLOSE_FRIENDS} accounts")
    now = node.clock.now()
    await CloseFriend.bulk_create([CloseFriend(account_id=account.id, friend_id=i, created_at=now) for i in new],
                                  ignore_conflicts=True)
    return await close_friends(account)


async def remove_close_friend(account: Account, friend_id: int | str) -> None:
    key = row_id(friend_id)
    if not await CloseFriend.filter(account_id=account.id, friend_id=key).delete():
        raise NotFound("That account is not on your close friends list")
