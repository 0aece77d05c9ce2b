"""Small renderers shared by every entity module."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp format: UTC with milliseconds, e.g. 2026-11-26T19:00:00.000Z."""
    if moment is None:
        return None
    # isoformat is several times cheaper than strftime, and a tray or timeline renders thousands of these
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def date_only(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else None
