"""Answers to interactive stickers, one per viewer per sticker, from local viewers and (over federation)
remote ones; countdown subscriptions and the job that tells subscribers a countdown ended.

Poll and quiz answers are final (a quiz tells right from wrong at once); slider, question and "add yours"
answers may be changed, replacing the earlier one; a countdown subscription can be withdrawn. The author's
node holds every answer (the authoritative results); a viewer's node keeps its own viewers' answers, to
show them and to refuse a second one, and sends each on to the author's node (`story.answered`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from ... import effects
from ...errors import Conflict, NotFound, ValidationFailed
from ...models import Account, CountdownSubscription, StickerAnswer, Story, StorySticker, row_id
from ...models.story import ANSWERABLE
from ...runtime import Node
from . import audience, stickers

FINAL = ("poll", "quiz")


@dataclass
class AnswerInput:
    choice: Any = None
    text: Any = None
    value: Any = None
    subscribe: Any = None
    story_id: Any = None  # add_yours, local: the viewer's own story
    story_uri: str = ""  # add_yours, remote: the answering story's id (verified by the caller)


async def sticker_of(story: Story, sticker_id: int | str) -> StorySticker:
    key = row_id(sticker_id)
    sticker = await StorySticker.filter(id=key, story_id=story.id).first()
    if sticker is None:
        raise NotFound("Sticker not found")
    return sticker


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"Validation failed: {what} must be a number") from None
    if isinstance(value, bool):
        raise ValidationFailed(f"Validation failed: {what} must be a number")
    return number


async def _answering_story(node: Node, account: Account, given: AnswerInput, sticker: StorySticker,
                           now: datetime) -> tuple[Story | None, str]:
    if given.story_uri:
        return None, given.story_uri
    if given.story_id in (None, ""):
        raise ValidationFailed("Validation failed: An add-yours answer is a story of your own (story_id)")
    own = await audience.own_story(account, given.story_id)
    if not audience.active(own, now) or own.id == sticker.story_id:
        raise ValidationFailed("Validation failed: story_id must be one of your active stories")
    if own.add_yours_uri and own.add_yours_uri != sticker.uri:
        raise ValidationFailed("Validation failed: That story already answers another prompt")
    return own, own.uri


def _fields(sticker: StorySticker, given: AnswerInput) -> dict[str, Any]:
    kind = sticker.kind
    if kind in FINAL:
        count = len(sticker.data.get("options", []))
        choice = _number(given.choice, "choice")
        if choice != int(choice) or not 0 <= choice < count:
            raise ValidationFailed(f"Validation failed: choice must be an option's index (0 to {count - 1})")
        return {"choice": int(choice)}
    if kind == "slider":
        value = _number(given.value, "value")
        if not 0 <= value <= 1:
            raise ValidationFailed("Validation failed: value must be between 0 and 1")
        return {"value": value}
    if kind == "question":
        text = given.text.strip() if isinstance(given.text, str) else ""
        if not text or len(text) > stickers.MAX_ANSWER:
            raise ValidationFailed(f"Validation failed: text must be 1 to {stickers.MAX_ANSWER} characters")
        return {"text": text}
    return {}


async def answer(node: Node, account: Account, story: Story, sticker: StorySticker, given: AnswerInput, *,
                 uri: str = "") -> StickerAnswer | None:
    """Record one answer (a local viewer's, or a remote one read from the viewer's server); None when a
    countdown subscription was withdrawn. Everything is checked before anything is written."""
    now = node.clock.now()
    if sticker.kind not in ANSWERABLE:
        raise ValidationFailed(f"Validation failed: A {sticker.kind} sticker takes no answers")
    if account.id == story.account_id:
        raise ValidationFailed("Validation failed: You cannot answer your own sticker")
    if not audience.active(story, now):
        raise NotFound("This story has expired")
    existing = await StickerAnswer.filter(sticker_id=sticker.id, account_id=account.id).first()
    if existing is not None and sticker.kind in FINAL:
        raise Conflict(f"You have already answered this {sticker.kind}")
    if sticker.kind == "countdown":
        return await _subscription(node, account, story, sticker, given, existing, now, uri)
    values = _fields(sticker, given)
    answering: Story | None = None
    if sticker.kind == "add_yours":
        answering, values["story_uri"] = await _answering_story(node, account, given, sticker, now)
    async with in_transaction():
        if existing is None:
            row = await StickerAnswer.create(sticker_id=sticker.id, account_id=account.id, uri=uri[:1024],
                                             created_at=now, updated_at=now, **values)
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.updated_at, existing.uri = now, uri[:1024] or existing.uri
            await existing.save()
            row = existing
        if answering is not None and answering.add_yours_uri != sticker.uri:
            author = await Account.get(id=story.account_id)
            answering.add_yours_uri, answering.add_yours_author_uri = sticker.uri, author.uri or ""
            await answering.save(update_fields=["add_yours_uri", "add_yours_author_uri"])
        effect = await effects.record(node, "story.answered", story=story, sticker=sticker, answer=row)
    await effects.announce(node, "story.answered", effect, story=story, sticker=sticker, answer=row)
    return row


async def _subscription(node: Node, account: Account, story: Story, sticker: StorySticker, given: AnswerInput,
                        existing: StickerAnswer | None, now: datetime, uri: str) -> StickerAnswer | None:
    subscribe = given.subscribe
    if isinstance(subscribe, str):
        subscribe = subscribe.strip().lower() in ("true", "1", "on", "yes")
    if sticker.ends_at is None or sticker.ends_at <= now:
        raise ValidationFailed("Validation failed: This countdown has ended")
    subscribe = True if subscribe is None else bool(subscribe)
    if subscribe == (existing is not None):
        return existing  # nothing changes: subscribing twice is still one subscription
    async with in_transaction():
        if subscribe:
            row: StickerAnswer | None = await StickerAnswer.create(sticker_id=sticker.id, account_id=account.id,
                                                                   uri=uri[:1024], created_at=now, updated_at=now)
            await CountdownSubscription.get_or_create(
                sticker_uri=sticker.uri, account_id=account.id,
                defaults={"author_id": story.account_id, "title": sticker.data.get("title", "")[:200],
                          "ends_at": sticker.ends_at})
        else:
            await StickerAnswer.filter(id=existing.id).delete()  # type: ignore[union-attr]
            await CountdownSubscription.filter(sticker_uri=sticker.uri, account_id=account.id).delete()
            row = None
        shown = row or StickerAnswer(sticker_id=sticker.id, account_id=account.id, uri=uri[:1024],
                                     created_at=now, updated_at=now)
        effect = await effects.record(node, "story.answered", story=story, sticker=sticker, answer=shown,
                                      subscribed=subscribe)
    await effects.announce(node, "story.answered", effect, story=story, sticker=sticker, answer=shown,
                           subscribed=subscribe)
    return row


async def tallies(chosen: Sequence[StorySticker]) -> dict[int, dict[str, Any]]:
    """The stickers' result counts by SQL aggregates: a popular poll has thousands of answers, and every
    answer's response shows the new counts, so reading them all each time made answering quadratic."""
    ids = [s.id for s in chosen]
    if not ids:
        return {}
    choices: dict[int, dict[int | None, int]] = {}
    totals: dict[int, int] = {}
    for sticker_id, choice, n in await StickerAnswer.filter(sticker_id__in=ids).annotate(n=Count("id")).group_by(
            "sticker_id", "choice").values_list("sticker_id", "choice", "n"):
        choices.setdefault(sticker_id, {})[choice] = n
        totals[sticker_id] = totals.get(sticker_id, 0) + n
    averages: dict[int, tuple[float | None, int]] = {}
    if sliders := [s.id for s in chosen if s.kind == "slider"]:
        for sticker_id, mean, n in await StickerAnswer.filter(sticker_id__in=sliders, value__isnull=False).annotate(
                mean=Avg("value"), n=Count("id")).group_by("sticker_id").values_list("sticker_id", "mean", "n"):
            averages[sticker_id] = (mean, n)
    return {s.id: stickers.tally_counts(s, choices.get(s.id, {}), totals.get(s.id, 0), averages.get(s.id))
            for s in chosen}


async def results(story: Story, sticker: StorySticker, viewer: Account) -> dict[str, Any]:
    """A sticker's results as the viewer may read them (403 when they may not, yet)."""
    from ...errors import Forbidden

    mine = await StickerAnswer.filter(sticker_id=sticker.id, account_id=viewer.id).first()
    is_author = viewer.id == story.account_id
    if sticker.kind not in ANSWERABLE:
        raise ValidationFailed(f"Validation failed: A {sticker.kind} sticker has no results")
    if not stickers.may_see_results(sticker, is_author, mine is not None):
        if sticker.kind in ("question", "add_yours"):
            raise Forbidden("Only the story's author sees these answers")
        raise Forbidden("Answer first to see the results")
    shown = (await tallies([sticker]))[sticker.id]
    shown["own_answer"] = stickers.own_answer(sticker, mine)
    if is_author:  # who said what: the author's alone
        shown["answers"] = await StickerAnswer.filter(sticker_id=sticker.id).order_by("id")
    return shown


async def notify_ended(node: Node) -> int:
    """Tell local subscribers that a countdown they follow ended (the scheduler runs it every 30 s)."""
    from .. import notifications

    now = node.clock.now()
    due = await CountdownSubscription.filter(notified_at=None, ends_at__lte=now).order_by("ends_at").limit(500)
    local = set(await Account.filter(id__in=[d.account_id for d in due], domain="").values_list("id", flat=True))
    for row in due:
        if row.account_id in local:
            await notifications.notify(node, row.account_id, COUNTDOWN_ENDED, row.author_id, subject=row.sticker_uri)
        await CountdownSubscription.filter(id=row.id).update(notified_at=now)
    return len(due)


COUNTDOWN_ENDED = "story_countdown_ended"
