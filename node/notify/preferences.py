"""Per-type x channel preferences, quiet hours in the account's own time zone and the email digest: the
shape of /api/v1/notifications/preferences, validated before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ValidationFailed
from ..i18n import N_
from ..models import NotificationSettings
from ..models.notification import TYPES as STORED_TYPES

# Every type a notification can have: Mastodon's, then ours.
TYPES: tuple[str, ...] = tuple(
    dict.fromkeys((*STORED_TYPES, "admin.sign_up", "admin.report", "take_trend_joined"))
)
CHANNELS = ("push", "email")
# What the settings page calls each type.
TYPE_NAMES = {
    "mention": N_("Mentions and replies"),
    "status": N_("New posts from people you turned on notifications for"),
    "reblog": N_("Shares of your posts"),
    "follow": N_("New followers"),
    "follow_request": N_("Follow requests"),
    "favourite": N_("Likes"),
    "poll": N_("Polls that ended"),
    "update": N_("Edits of posts you shared"),
    "admin.sign_up": N_("New sign-ups (admins)"),
    "admin.report": N_("New reports (admins)"),
    "take_trend_joined": N_("Takes that joined your trend"),
    "story_reply": N_("Replies to your stories"),
    "story_reaction": N_("Reactions to your stories"),
    "story_mention": N_("Mentions in stories"),
    "story_sticker_answer": N_("Answers to your story stickers"),
    "story_countdown_ended": N_("Countdowns you subscribed to that ended"),
    "e2ee_message": N_("New messages (who from, never what they say)"),
    "e2ee_call": N_("Incoming calls (who is calling)"),
}
DIGESTS = ("off", "daily", "weekly")
# Mastodon's defaults for notification mails; every type is pushed unless turned off.
EMAIL_BY_DEFAULT = frozenset({"follow", "follow_request", "mention"})
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    enabled: bool
    start: str
    end: str
    timezone: str

    def _times(self) -> tuple[time, time, ZoneInfo]:
        return _parse_time(self.start), _parse_time(self.end), ZoneInfo(self.timezone)

    def active(self, now: datetime) -> bool:
        """Is `now` (aware) inside the quiet window? A window whose end is before its start spans midnight."""
        return self.ends_after(now) is not None

    def ends_after(self, now: datetime) -> datetime | None:
        """When the quiet window holding `now` ends (aware, UTC offset of the zone), or None if not quiet."""
        if not self.enabled or self.start == self.end:
            return None
        start, end, zone = self._times()
        local = now.astimezone(zone)
        for day in (local.date() - timedelta(days=1), local.date()):
            opens = datetime.combine(day, start, zone)
            closes = datetime.combine(day if end > start else day + timedelta(days=1), end, zone)
            if opens <= local < closes:
                return closes
        return None


def _parse_time(value: str) -> time:
    match = _HHMM.match(value)
    if match is None:
        raise ValueError(value)
    return time(int(match[1]), int(match[2]))


def wants(settings: NotificationSettings | None, kind: str, channel: str) -> bool:
    """Does the account want notifications of `kind` on `channel`?"""
    stored = (settings.types if settings else {}).get(kind, {})
    if channel in stored:
        return bool(stored[channel])
    return channel == "push" or kind in EMAIL_BY_DEFAULT


def quiet_hours(settings: NotificationSettings | None) -> QuietHours:
    if settings is None:
        return QuietHours(False, "22:00", "07:00", "UTC")
    return QuietHours(settings.quiet_enabled, settings.quiet_start, settings.quiet_end, settings.timezone)


def entity(settings: NotificationSettings | None) -> dict[str, Any]:
    quiet = quiet_hours(settings)
    return {
        "types": {kind: {channel: wants(settings, kind, channel) for channel in CHANNELS} for kind in TYPES},
        "quiet_hours": {
            "enabled": quiet.enabled,
            "start": quiet.start,
            "end": quiet.end,
            "timezone": quiet.timezone,
        },
        "email_digest": settings.email_digest if settings else "off",
    }


def _bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    raise ValidationFailed(f"{field}: must be true or false")


def _validated(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """`current` (an entity) with `body` applied; every field checked, the first bad one named."""
    unknown = set(body) - {"types", "quiet_hours", "email_digest"}
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: unknown field")
    result = {
        "types": {k: dict(v) for k, v in current["types"].items()},
        "quiet_hours": dict(current["quiet_hours"]),
        "email_digest": current["email_digest"],
    }
    types = body.get("types", {})
    if not isinstance(types, dict):
        raise ValidationFailed("types: must be an object of type -> {push, email}")
    for kind, channels in types.items():
        if kind not in TYPES:
            raise ValidationFailed(f"types.{kind}: unknown notification type")
        if not isinstance(channels, dict):
            raise ValidationFailed(f'types.{kind}: must be an object like {{"push": true, "email": false}}')
        for channel, value in channels.items():
            if channel not in CHANNELS:
                raise ValidationFailed(f"types.{kind}.{channel}: unknown channel (push, email)")
            result["types"][kind][channel] = _bool(f"types.{kind}.{channel}", value)
    quiet = body.get("quiet_hours", {})
    if not isinstance(quiet, dict):
        raise ValidationFailed("quiet_hours: must be an object")
    for key, value in quiet.items():
        field = f"quiet_hours.{key}"
        if key == "enabled":
            result["quiet_hours"]["enabled"] = _bool(field, value)
        elif key in ("start", "end"):
            if not isinstance(value, str) or not _HHMM.match(value):
                raise ValidationFailed(f"{field}: must be a time of day as HH:MM (00:00 to 23:59)")
            result["quiet_hours"][key] = value
        elif key == "timezone":
            if not isinstance(value, str) or not _known_zone(value):
                raise ValidationFailed(f"{field}: must be an IANA time zone name like Europe/Berlin")
            result["quiet_hours"][key] = value
        else:
            raise ValidationFailed(f"{field}: unknown field")
    if "email_digest" in body:
        if body["email_digest"] not in DIGESTS:
            raise ValidationFailed("email_digest: must be one of off, daily, weekly")
        result["email_digest"] = body["email_digest"]
    return result


def _known_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def settings_of(account_id: int) -> NotificationSettings | None:
    return await NotificationSettings.filter(account_id=account_id).first()


async def read(account_id: int) -> dict[str, Any]:
    return entity(await settings_of(account_id))


async def update(account_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update (any of types, quiet_hours, email_digest); nothing is stored unless all of it is valid."""
    settings = await settings_of(account_id)
    merged = _validated(entity(settings), body)
    values = {
        "types": merged["types"],
        "quiet_enabled": merged["quiet_hours"]["enabled"],
        "quiet_start": merged["quiet_hours"]["start"],
        "quiet_end": merged["quiet_hours"]["end"],
        "timezone": merged["quiet_hours"]["timezone"],
        "email_digest": merged["email_digest"],
    }
    if settings is None:
        settings = await NotificationSettings.create(account_id=account_id, **values)
    else:
        await NotificationSettings.filter(id=settings.id).update(**values)
        settings = await NotificationSettings.get(id=settings.id)
    return entity(settings)


async def turn_off(account_id: int, kind: str, channel: str) -> None:
    """One-click unsubscribe: stop `kind` on `channel` (kind "digest" turns the digest off)."""
    if kind == "digest":
        await update(account_id, {"email_digest": "off"})
    else:
        await update(account_id, {"types": {kind: {channel: False}}})
