"""Small renderers shared by every entity module."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp format: UTC with milliseconds, e.g. 2026-11-26T19:00:00.000Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def date_only(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else None
