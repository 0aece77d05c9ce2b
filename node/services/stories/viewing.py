"""Views (with the navigation the viewer's client reports), who viewed, insights, replies and reactions.

A client reports a view once it leaves a story: `action` says how (next, back, exit) and `completed`
whether it was shown to the end. A reply is a direct message to the author, threaded to the story by a
StoryResponse row; a reaction is a quick emoji. For a remote story the viewer's node keeps its own record
(what `seen` reads) and sends the view, reply or reaction to the author's node, which holds the insights.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from ... import effects
from ...errors import ValidationFailed
from ...models import Account, StickerAnswer, Story, StoryResponse, StorySticker, StoryView
from ...runtime import Node
from .. import statuses
from . import answers

ACTIONS = ("next", "back", "exit")
MAX_REPLY = 500
MAX_EMOJI = 32
REACH_DAYS = 30


async def record_view(node: Node, viewer: Account, story: Story, action: str | None, completed: bool, *,
                      federate: bool = True) -> StoryView:
    """Count one view; the author's own views are not counted (nor sent anywhere)."""
    if action is not None and action not in ACTIONS:
        raise ValidationFailed(f"Validation failed: action must be one of {', '.join(ACTIONS)}")
    now = node.clock.now()
    taps = {"taps_forward": int(action == "next"), "taps_back": int(action == "back"), "exits": int(action == "exit")}
    if viewer.id == story.account_id:
        return StoryView(story_id=story.id, account_id=viewer.id, created_at=now, updated_at=now, views=0)
    async with in_transaction():
        view = await StoryView.filter(story_id=story.id, account_id=viewer.id).first()
        if view is None:
            view = await StoryView.create(story_id=story.id, account_id=viewer.id, completed=completed,
                                          created_at=now, updated_at=now, **taps)
        else:
            await StoryView.filter(id=view.id).update(
                views=F("views") + 1, completed=view.completed or completed, updated_at=now,
                **{k: F(k) + v for k, v in taps.items()})
            view = await StoryView.get(id=view.id)
        effect = None
        if federate and not story.local:
            effect = await effects.record(node, "story.viewed", story=story, view=view, action=action or "",
                                          completed=completed)
    if effect is not None or (federate and not story.local):
        await effects.announce(node, "story.viewed", effect, story=story, view=view, action=action or "",
                               completed=completed)
    return view


async def viewers(story: Story) -> list[tuple[Account, StoryView]]:
    rows = await StoryView.filter(story_id=story.id).order_by("-updated_at", "-id")
    found = {a.id: a for a in await Account.filter(id__in=[r.account_id for r in rows])}
    return [(found[r.account_id], r) for r in rows if r.account_id in found]


async def viewers_counts(story_ids: list[int]) -> dict[int, int]:
    if not story_ids:
        return {}
    rows = await StoryView.filter(story_id__in=story_ids).annotate(n=Count("id")).group_by("story_id").values_list(
        "story_id", "n")
    return dict(rows)


async def insights(node: Node, story: Story) -> dict[str, Any]:
    """Per story: views, unique viewers, completion rate, navigation, replies, reactions and sticker
    results; across the author's stories of the last 30 days: unique viewers per day (reach)."""
    rows = await StoryView.filter(story_id=story.id).annotate(
        total=Sum("views"), viewers=Count("id"), forward=Sum("taps_forward"), back=Sum("taps_back"),
        left=Sum("exits")).values("total", "viewers", "forward", "back", "left")
    totals = rows[0] if rows else {}
    completed = await StoryView.filter(story_id=story.id, completed=True).count()
    unique = totals.get("viewers") or 0
    responses = dict(await StoryResponse.filter(story_id=story.id).annotate(n=Count("id")).group_by("kind").values_list(
        "kind", "n"))
    author = await Account.get(id=story.account_id)
    sticker_results = []
    for sticker in await StorySticker.filter(story_id=story.id).order_by("position"):
        if sticker.kind in answers.ANSWERABLE:
            sticker_results.append((sticker, await answers.results(story, sticker, author)))
    since = node.clock.now() - timedelta(days=REACH_DAYS)
    own = await Story.filter(account_id=story.account_id, created_at__gte=since).values_list("id", flat=True)
    reach: dict[str, set[int]] = {}
    for account_id, at in await StoryView.filter(story_id__in=list(own)).values_list("account_id", "created_at"):
        reach.setdefault(at.date().isoformat(), set()).add(account_id)
    return {"views": totals.get("total") or 0, "unique_viewers": unique,
            "completion_rate": round(completed / unique, 4) if unique else None,
            "taps_forward": totals.get("forward") or 0, "taps_back": totals.get("back") or 0,
            "exits": totals.get("left") or 0,
            "replies": responses.get("reply", 0), "reactions": responses.get("reaction", 0),
            "stickers": sticker_results,
            "reach": [{"date": day, "unique_viewers": len(who)} for day, who in sorted(reach.items())]}


def _respondable(viewer: Account, story: Story, allowed: bool, what: str) -> None:
    if viewer.id == story.account_id:
        raise ValidationFailed(f"Validation failed: You cannot {what} your own story")
    if not allowed:
        raise ValidationFailed(f"Validation failed: This story does not take {what}s")


async def reply(node: Node, viewer: Account, story: Story, text: str | None) -> StoryResponse:
    """A direct message to the story's author, threaded to the story. For a remote story the message is
    sent as the story protocol's reply (Story:Reply), not as a separate post."""
    from ...activitypub import state

    _respondable(viewer, story, story.can_reply, "reply")
    text = (text or "").strip()
    if not text or len(text) > MAX_REPLY:
        raise ValidationFailed(f"Validation failed: status must be 1 to {MAX_REPLY} characters")
    author = await Account.get(id=story.account_id)
    handle = f"@{author.username}" if author.local else f"@{author.username}@{author.domain}"
    draft = statuses.Draft(text=f"{handle} {text}", visibility="direct")
    made: dict[str, Any] = {}

    async def extend(status: Any) -> None:
        made["response"] = await StoryResponse.create(story_id=story.id, account_id=viewer.id, kind="reply",
                                                      status_id=status.id, uri=status.uri or "",
                                                      created_at=node.clock.now())
        if not story.local:
            with state.outbound_again():
                made["effect"] = await effects.record(node, "story.replied", story=story,
                                                      response=made["response"], text=text)

    if story.local:
        await statuses.create_status(node, viewer, draft, extend=extend)
        await node.bus.publish("story.replied", story=story, response=made["response"], text=text)
    else:
        with state.inbound():  # the message travels as Story:Reply, never as a second Create
            await statuses.create_status(node, viewer, draft, extend=extend)
        await effects.announce(node, "story.replied", made["effect"], story=story, response=made["response"],
                               text=text)
    return made["response"]


async def react(node: Node, viewer: Account, story: Story, emoji: str | None, *, uri: str = "",
                federate: bool = True) -> StoryResponse:
    _respondable(viewer, story, story.can_react, "reaction")
    emoji = (emoji or "").strip()
    if not emoji or len(emoji) > MAX_EMOJI or any(c.isspace() for c in emoji):
        raise ValidationFailed(f"Validation failed: emoji must be one emoji (at most {MAX_EMOJI} characters)")
    async with in_transaction():
        response = await StoryResponse.create(story_id=story.id, account_id=viewer.id, kind="reaction", emoji=emoji,
                                              uri=uri[:1024], created_at=node.clock.now())
        effect = await effects.record(node, "story.reacted", story=story, response=response) if federate else None
    if federate:
        await effects.announce(node, "story.reacted", effect, story=story, response=response)
    else:
        await node.bus.publish_live("story.reacted", story=story, response=response)
    return response


async def answer_counts(sticker_ids: list[int]) -> dict[int, int]:
    if not sticker_ids:
        return {}
    rows = await StickerAnswer.filter(sticker_id__in=sticker_ids).annotate(n=Count("id")).group_by(
        "sticker_id").values_list("sticker_id", "n")
    return dict(rows)
