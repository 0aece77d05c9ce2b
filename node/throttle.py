"""Counting requests and failed sign-ins, to slow down whoever sends too many: API rate limits in fixed
windows (as Mastodon's rack-attack rules), and an exponential back-off for wrong passwords.

Counters live in this process's memory and read time from the node's clock (tests move it). A restart
forgets them, which costs an attacker nothing they could not get by waiting; several processes each count
their own share. The `limits` library was considered and not used: it reads `time.time()` directly, so its
windows could not follow the injected clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .config import LimitsSection

_SWEEP_EVERY = 1024  # writes between sweeps of expired keys, so a flood of keys cannot grow memory forever


@dataclass(frozen=True)
class Window:
    """Where one key stands in its current window."""

    limit: int
    remaining: int
    resets_at: datetime

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


class FixedWindows:
    """`limit` hits per key in windows of `period` seconds aligned to the epoch (as rack-attack counts)."""

    def __init__(self, clock: Clock, limit: int, period: int) -> None:
        self.clock, self.limit, self.period = clock, limit, period
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, hits)
        self._writes = 0

    def hit(self, key: str) -> Window:
        now = self.clock.now()
        window = int(now.timestamp()) // self.period
        start, hits = self._counts.get(key, (window, 0))
        hits = hits + 1 if start == window else 1
        self._counts[key] = (window, hits)
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        resets_at = datetime.fromtimestamp((window + 1) * self.period, now.tzinfo)
        return Window(self.limit, self.limit - hits, resets_at)


@dataclass
class _Failures:
    count: int
    last: datetime
    locked_until: datetime


class Backoff:
    """Failed attempts per key: the first `free` go unhindered; each one after locks the key for a wait that
    doubles from `base` seconds up to `cap`. A key with no failure for `forget` seconds starts afresh; a
    success clears it."""

    def __init__(self, clock: Clock, *, free: int, base: float = 1.0, cap: float = 900.0,
                 forget: float = 3600.0) -> None:
        self.clock, self.free, self.base, self.cap = clock, free, base, cap
        self.forget = timedelta(seconds=forget)
        self._failures: dict[str, _Failures] = {}
        self._writes = 0

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        entry = self._current(key)
        if entry is None:
            return 0.0
        return max(0.0, (entry.locked_until - self.clock.now()).total_seconds())

    def failed(self, key: str) -> None:
        now = self.clock.now()
        entry = self._current(key)
        count = entry.count + 1 if entry else 1
        over = count - self.free
        delay = min(self.cap, self.base * 2 ** (over - 1)) if over > 0 else 0.0
        self._failures[key] = _Failures(count, now, now + timedelta(seconds=delay))
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._failures = {k: v for k, v in self._failures.items() if now - v.last < self.forget}

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _current(self, key: str) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and self.clock.now() - entry.last >= self.forget:
            del self._failures[key]
            return None
        return entry


class Throttles:
    """A node's counters, made from its [limits] section."""

    def __init__(self, limits: LimitsSection, clock: Clock) -> None:
        self.clock = clock
        self.api_token = FixedWindows(clock, limits.api_per_token, limits.api_period_seconds)
        self.api_ip = FixedWindows(clock, limits.api_per_ip, limits.api_period_seconds)
        self.login_account = Backoff(clock, free=limits.login_free_per_account, cap=limits.login_max_wait_seconds)
        self.login_ip = Backoff(clock, free=limits.login_free_per_ip, cap=limits.login_max_wait_seconds)
