"""The node's clock: every feature that acts at a time (scheduled statuses, expiry) reads `node.clock.now()`,
so tests move time forward instead of sleeping on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, optionally shifted: `advance` moves it forward (tests use it)."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta
