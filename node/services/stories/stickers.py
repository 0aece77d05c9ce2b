"""Sticker and overlay specs (validated before anything is written) and sticker results.

A sticker is `{"type": kind, "position": {x, y, width, height, rotation}, ...}` with the kind's fields;
positions are fractions of the media (0-1) and a rotation in degrees. Results are what the author's node
counts: who may read which part is decided by `results_for`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...errors import ValidationFailed
from ...models import Account, Place, StickerAnswer, StorySticker, parse_id
from ...models.story import ANSWERABLE, MADE_BY_SHARING, STICKER_KINDS

MAX_STICKERS = 10
MAX_INTERACTIVE = 6  # one of each interactive kind
MAX_OVERLAYS = 10
MAX_TEXT = 200
MAX_OPTION = 60
MAX_ANSWER = 500
COUNTDOWN_LIMIT = timedelta(days=365)
_HASHTAG = re.compile(r"^[\w]{1,100}$", re.UNICODE)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _fail(number: int, why: str) -> ValidationFailed:
    return ValidationFailed(f"Validation failed: Sticker {number} {why}")


def placement(raw: Any, what: str) -> dict[str, float]:
    """x, y, width, height as fractions of the media and a rotation in degrees."""
    raw = raw if raw is not None else {}
    if not isinstance(raw, dict):
        raise ValidationFailed(f"Validation failed: {what} position must be an object with x, y, width, height, rotation")
    spot: dict[str, float] = {}
    for key, default, low, high in (("x", 0.5, 0.0, 1.0), ("y", 0.5, 0.0, 1.0), ("width", 0.5, 0.0, 1.0),
                                    ("height", 0.2, 0.0, 1.0), ("rotation", 0.0, -360.0, 360.0)):
        value = raw.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"Validation failed: {what} position {key} must be a number") from None
        if isinstance(value, bool) or not low <= number <= high:
            raise ValidationFailed(f"Validation failed: {what} position {key} must be between {low:g} and {high:g}")
        spot[key] = number
    return spot


def _text(raw: dict[str, Any], key: str, number: int, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise _fail(number, f"needs a {key}")
        return ""
    if not isinstance(value, str):
        raise _fail(number, f"{key} must be text")
    value = value.strip()
    if (required and not value) or len(value) > limit:
        raise _fail(number, f"{key} must be 1 to {limit} characters")
    return value


def _options(raw: dict[str, Any], number: int) -> list[str]:
    options = raw.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 4:
        raise _fail(number, "needs 2 to 4 options")
    cleaned = []
    for option in options:
        if not isinstance(option, str) or not option.strip() or len(option.strip()) > MAX_OPTION:
            raise _fail(number, f"options must be text of 1 to {MAX_OPTION} characters")
        cleaned.append(option.strip())
    return cleaned


def _when(value: Any, number: int, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise _fail(number, "needs ends_at (an ISO 8601 time)")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(number, "ends_at must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise _fail(number, "ends_at must name its time zone")
    if not now < moment <= now + COUNTDOWN_LIMIT:
        raise _fail(number, "ends_at must be in the future, within a year")
    return moment


@dataclass
class StickerSpec:
    kind: str
    placement: dict[str, float]
    data: dict[str, Any]
    ends_at: datetime | None = None


async def _kind_data(kind: str, raw: dict[str, Any], number: int, now: datetime) -> tuple[dict[str, Any], datetime | None]:
    if kind in ("poll", "quiz"):
        data: dict[str, Any] = {"question": _text(raw, "question", number, required=kind == "quiz"),
                                "options": _options(raw, number)}
        if kind == "quiz":
            correct = raw.get("correct_option")
            if isinstance(correct, str) and correct.isdigit():
                correct = int(correct)
            if not isinstance(correct, int) or isinstance(correct, bool) or not 0 <= correct < len(data["options"]):
                raise _fail(number, "correct_option must be the index of one of its options")
            data["correct_option"] = correct
        return data, None
    if kind in ("question", "add_yours"):
        return {"prompt": _text(raw, "prompt", number)}, None
    if kind == "countdown":
        ends = _when(raw.get("ends_at"), number, now)
        return {"title": _text(raw, "title", number, limit=100), "ends_at": ends.isoformat()}, ends
    if kind == "slider":
        return {"question": _text(raw, "question", number, required=False),
                "emoji": _text(raw, "emoji", number, limit=16)}, None
    if kind == "mention":
        account = await Account.filter(id=parse_id(raw.get("account_id")), suspended_at=None).first()
        if account is None:
            raise _fail(number, "mentions an unknown account")
        return {"account_id": str(account.id), "account_uri": account.uri or ""}, None
    if kind == "hashtag":
        name = _text(raw, "name", number, limit=101).removeprefix("#")
        if not _HASHTAG.match(name):
            raise _fail(number, "name must be a hashtag (letters, digits, _)")
        return {"name": name}, None
    if kind == "location":
        place = await Place.filter(id=parse_id(raw.get("place_id"))).first()
        if place is None:
            raise _fail(number, "names an unknown place")
        return {"place_id": str(place.id), "name": place.name, "lat": place.lat, "lon": place.lon}, None
    url = _text(raw, "url", number, limit=1024)
    if not url.startswith(("http://", "https://")):
        raise _fail(number, "url must be an http(s) URL")
    return {"url": url, "text": _text(raw, "text", number, required=False, limit=100)}, None


async def checked_stickers(raw: Any, now: datetime) -> list[StickerSpec]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationFailed("Validation failed: stickers must be a list")
    if len(raw) > MAX_STICKERS:
        raise ValidationFailed(f"Validation failed: A story may have at most {MAX_STICKERS} stickers")
    specs = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise _fail(number, "must be an object with a type and a position")
        kind = item.get("type")
        if kind not in STICKER_KINDS or kind in MADE_BY_SHARING:
            posted = [k for k in STICKER_KINDS if k not in MADE_BY_SHARING]
            raise _fail(number, f"has an unknown type (one of {', '.join(posted)})")
        data, ends = await _kind_data(kind, item, number, now)
        specs.append(StickerSpec(kind, placement(item.get("position"), f"Sticker {number}"), data, ends))
    if sum(s.kind in ANSWERABLE for s in specs) > MAX_INTERACTIVE:
        raise ValidationFailed(f"Validation failed: A story may have at most {MAX_INTERACTIVE} interactive stickers")
    return specs


def checked_overlays(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_OVERLAYS:
        raise ValidationFailed(f"Validation failed: overlays must be a list of at most {MAX_OVERLAYS}")
    overlays = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ValidationFailed(f"Validation failed: Overlay {number} must be an object with text and a position")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise ValidationFailed(f"Validation failed: Overlay {number} text must be 1 to {MAX_TEXT} characters")
        color = item.get("color") or "#ffffff"
        if not isinstance(color, str) or not _COLOR.match(color):
            raise ValidationFailed(f"Validation failed: Overlay {number} color must be #rrggbb")
        overlays.append({"text": text.strip(), "color": color.lower(),
                         "position": placement(item.get("position"), f"Overlay {number}")})
    return overlays


# ---- results ------------------------------------------------------------------------------------------------


def own_answer(sticker: StorySticker, answer: StickerAnswer | None) -> dict[str, Any] | None:
    """The viewer's own answer in the shape they gave it."""
    if answer is None:
        return None
    if sticker.kind in ("poll", "quiz"):
        mine: dict[str, Any] = {"choice": answer.choice}
        if sticker.kind == "quiz":
            mine["correct"] = answer.choice == sticker.data.get("correct_option")
        return mine
    if sticker.kind == "slider":
        return {"value": answer.value}
    if sticker.kind == "question":
        return {"text": answer.text}
    if sticker.kind == "add_yours":
        return {"story_uri": answer.story_uri}
    if sticker.kind == "countdown":
        return {"subscribe": True}
    return None


def may_see_results(sticker: StorySticker, is_author: bool, answered: bool) -> bool:
    """Poll, quiz and slider results after answering (the author always); question and add-yours answers
    are the author's alone; a countdown's subscriber count is for anyone who can see the story."""
    if is_author or sticker.kind == "countdown":
        return True
    if sticker.kind in ("question", "add_yours"):
        return False
    return answered


def tally(sticker: StorySticker, answers: list[StickerAnswer], subscribers: int = 0) -> dict[str, Any]:
    """The counts of a sticker's answers (without the viewer's own answer or who said what)."""
    choices: dict[int | None, int] = {}
    for answer in answers:
        choices[answer.choice] = choices.get(answer.choice, 0) + 1
    values = [a.value for a in answers if a.value is not None]
    average = (sum(values) / len(values), len(values)) if values else None
    return tally_counts(sticker, choices, len(answers), average)


def tally_counts(sticker: StorySticker, choices: dict[int | None, int], total: int,
                 average: tuple[float | None, int] | None) -> dict[str, Any]:
    """The same counts from aggregates: answers per choice, how many in all, a slider's mean and count."""
    if sticker.kind in ("poll", "quiz"):
        options = sticker.data.get("options", [])
        result: dict[str, Any] = {"options": [{"title": t, "votes_count": choices.get(i, 0)}
                                              for i, t in enumerate(options)],
                                  "answers_count": total}
        if sticker.kind == "quiz":
            result["correct_option"] = sticker.data.get("correct_option")
        return result
    if sticker.kind == "slider":
        mean, counted = average if average is not None else (None, 0)
        return {"average": round(mean, 4) if counted and mean is not None else None, "answers_count": counted}
    if sticker.kind == "countdown":
        return {"subscribers_count": total}
    return {"answers_count": total}
