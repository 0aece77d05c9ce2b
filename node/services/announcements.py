"""Announcements (Mastodon's): admins publish them to every local user, people dismiss them and react to
them with emoji. Each change reaches open user streams at once: `announcement` (published or edited),
`announcement.reaction` (a reaction's new count) and `announcement.delete` (withdrawn or deleted)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from .. import streaming
from ..errors import NotFound, ValidationFailed
from ..models import Account, Announcement, AnnouncementMute, AnnouncementReaction, row_id
from ..models.announcement import ANNOUNCEMENT_TEXT_LIMIT, REACTION_KINDS_LIMIT
from ..runtime import Node
from ..streaming.streams import ANNOUNCEMENTS_CHANNEL


@dataclass
class AnnouncementSpec:
    text: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    all_day: bool | None = None
    published: bool | None = None


def _chronological(rows: list[Announcement]) -> list[Announcement]:
    # Mastodon's order: by when the event starts, else when it was published, else made
    return sorted(rows, key=lambda a: (a.starts_at or a.published_at or a.created_at, a.id))


async def published() -> list[Announcement]:
    return _chronological(list(await Announcement.filter(published=True)))


async def everything() -> list[Announcement]:
    """Every announcement, published or not, newest first (the admin list)."""
    return list(await Announcement.all().order_by("-id"))


async def get(announcement_id: object, *, only_published: bool = True) -> Announcement:
    query = Announcement.filter(id=row_id(announcement_id))
    found = await (query.filter(published=True) if only_published else query).first()
    if found is None:
        raise NotFound()
    return found


def _check(spec: AnnouncementSpec, current: Announcement | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if spec.text is not None or current is None:
        text = (spec.text or "").strip()
        if not text:
            raise ValidationFailed("Validation failed: Text can't be blank")
        if len(text) > ANNOUNCEMENT_TEXT_LIMIT:
            raise ValidationFailed(
                f"Validation failed: Text is too long (maximum is {ANNOUNCEMENT_TEXT_LIMIT} characters)"
            )
        values["text"] = text
    for name in ("starts_at", "ends_at", "all_day", "published"):
        if getattr(spec, name) is not None:
            values[name] = getattr(spec, name)
    starts = values.get("starts_at", current.starts_at if current else None)
    ends = values.get("ends_at", current.ends_at if current else None)
    if (starts is None) != (ends is None):  # as Mastodon: an event has both ends or neither
        raise ValidationFailed("Validation failed: Starts at and ends at must both be given, or neither")
    if starts is not None and ends is not None and ends < starts:
        raise ValidationFailed("Validation failed: Ends at must be after starts at")
    return values


async def create(node: Node, spec: AnnouncementSpec) -> Announcement:
    values = _check(spec, None)
    values.setdefault("published", True)
    if values["published"]:
        values["published_at"] = node.clock.now()
    announcement = await Announcement.create(**values)
    if announcement.published:
        await _announce(node, announcement)
    return announcement


async def update(node: Node, announcement: Announcement, spec: AnnouncementSpec) -> Announcement:
    values = _check(spec, announcement)
    was_published = announcement.published
    if values.get("published") and not was_published:
        values["published_at"] = node.clock.now()
    await announcement.update_from_dict(values).save()
    if announcement.published:
        await _announce(node, announcement)
    elif was_published:
        await _withdraw(node, announcement)
    return announcement


async def delete(node: Node, announcement: Announcement) -> None:
    async with in_transaction():
        await AnnouncementReaction.filter(announcement_id=announcement.id).delete()
        await AnnouncementMute.filter(announcement_id=announcement.id).delete()
        await announcement.delete()
    if announcement.published:
        await _withdraw(node, announcement)


async def dismiss(account: Account, announcement: Announcement) -> None:
    await AnnouncementMute.get_or_create(announcement_id=announcement.id, account_id=account.id)


async def dismissed(account: Account | None, ids: list[int]) -> set[int]:
    if account is None or not ids:
        return set()
    return set(
        await AnnouncementMute.filter(account_id=account.id, announcement_id__in=ids).values_list(
            "announcement_id", flat=True
        )
    )


# ---- reactions ----------------------------------------------------------------------------------------------

_EMOJI_JOINERS = {0x200D, 0xFE0F, 0x20E3}  # zero-width joiner, emoji presentation, keycap


def is_emoji(name: str) -> bool:
    """A Unicode emoji (one, or a joined sequence with skin tones and flags). There are no custom emoji on
    this node, so a shortcode is not a reaction."""
    if not name or len(name) > 16:
        return False
    symbols = 0
    for char in name:
        point = ord(char)
        category = unicodedata.category(char)
        if category == "So" or 0x1F1E6 <= point <= 0x1F1FF:
            symbols += 1
        elif 0x1F3FB <= point <= 0x1F3FF or point in _EMOJI_JOINERS or 0xE0020 <= point <= 0xE007F:
            continue
        elif char in "0123456789#*" and "\u20e3" in name:  # keycaps: 1️⃣ #️⃣
            continue
        else:
            return False
    return symbols > 0


async def react(node: Node, account: Account, announcement: Announcement, name: str) -> None:
    """Add `name` from `account` (422 when not an emoji, when already added, or past the 8 kinds)."""
    if not is_emoji(name):
        raise ValidationFailed("Validation failed: Name is not a recognized emoji")
    async with in_transaction():
        if await AnnouncementReaction.filter(
            announcement_id=announcement.id, account_id=account.id, name=name
        ).exists():
            raise ValidationFailed("Validation failed: Name has already been taken")
        kinds = set(
            await AnnouncementReaction.filter(announcement_id=announcement.id)
            .distinct()
            .values_list("name", flat=True)
        )
        if name not in kinds and len(kinds) >= REACTION_KINDS_LIMIT:
            raise ValidationFailed("Validation failed: Name reached the limit of different reactions")
        await AnnouncementReaction.create(announcement_id=announcement.id, account_id=account.id, name=name)
    await _reaction_changed(node, announcement, name)


async def unreact(node: Node, account: Account, announcement: Announcement, name: str) -> None:
    """Take back `account`'s `name` (404 when it had not added it)."""
    removed = await AnnouncementReaction.filter(
        announcement_id=announcement.id, account_id=account.id, name=name
    ).delete()
    if not removed:
        raise NotFound()
    await _reaction_changed(node, announcement, name)


@dataclass
class Reaction:
    name: str
    count: int
    me: bool


async def reactions(ids: list[int], account: Account | None) -> dict[int, list[Reaction]]:
    """Each announcement's reactions in the order they were first added, with whether `account` added it."""
    if not ids:
        return {}
    rows = (
        await AnnouncementReaction.filter(announcement_id__in=ids)
        .order_by("id")
        .values_list("announcement_id", "name", "account_id")
    )
    found: dict[int, dict[str, Reaction]] = defaultdict(dict)
    for announcement_id, name, account_id in rows:
        reaction = found[announcement_id].setdefault(name, Reaction(name, 0, False))
        reaction.count += 1
        reaction.me = reaction.me or (account is not None and account_id == account.id)
    return {key: list(by_name.values()) for key, by_name in found.items()}


async def reaction_count(announcement: Announcement, name: str) -> int:
    rows = (
        await AnnouncementReaction.filter(announcement_id=announcement.id, name=name)
        .annotate(n=Count("id"))
        .group_by("name")
        .values_list("n", flat=True)
    )
    return int(rows[0]) if rows else 0


# ---- streaming ----------------------------------------------------------------------------------------------


async def _announce(node: Node, announcement: Announcement) -> None:
    from ..api.entities.announcements import announcement_entities  # the entity layer sits above services

    # Published whether or not anyone listens here: another process may hold the listeners.
    entity = (await announcement_entities(node, [announcement], None))[0]
    await streaming.publish(node, ANNOUNCEMENTS_CHANNEL, "announcement", entity)


async def _withdraw(node: Node, announcement: Announcement) -> None:
    await streaming.publish(node, ANNOUNCEMENTS_CHANNEL, "announcement.delete", str(announcement.id))


async def _reaction_changed(node: Node, announcement: Announcement, name: str) -> None:
    count = await reaction_count(announcement, name)
    await streaming.publish(
        node,
        ANNOUNCEMENTS_CHANNEL,
        "announcement.reaction",
        {"name": name, "count": count, "announcement_id": str(announcement.id)},
    )
