"""Hashtag trends: uses per hour in this window against the previous one, a 7-day history per tag as in
Mastodon's trends API (uses and distinct accounts per day), and related tags by co-occurrence.

Counts come straight from status_tags joined to public and unlisted statuses (followers-only and direct posts
never show in trends); status ids are snowflakes, so a time bound is an id bound on the (tag_id, status_id)
index and no rollup table is needed at the size this node is built for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..models import StatusTag, Tag, snowflake_floor

OPEN = ("public", "unlisted")
HISTORY_DAYS = 7


@dataclass
class Trend:
    tag: Tag
    uses: int  # in the current window
    previous_uses: int
    accounts: int
    window_hours: int

    @property
    def uses_per_hour(self) -> float:
        return self.uses / self.window_hours

    @property
    def previous_uses_per_hour(self) -> float:
        return self.previous_uses / self.window_hours

    @property
    def growth(self) -> float:
        """Change in the hourly rate against the previous window, as a fraction (1.0 = doubled)."""
        if self.previous_uses == 0:
            return float(self.uses)
        return (self.uses - self.previous_uses) / self.previous_uses

    @property
    def score(self) -> float:
        # Breadth (distinct accounts) and growth both count: one account spamming a tag does not trend.
        return self.accounts * (1.0 + max(self.growth, 0.0)) + self.uses * 0.1


def _time_of(status_id: int) -> datetime:
    return datetime.fromtimestamp((status_id >> 16) / 1000, UTC)


async def _uses_since(since: datetime, tag_ids: Sequence[int] | None = None) -> list[tuple[int, int, int]]:
    """(tag_id, status_id, account_id) of every public use since `since`."""
    query = StatusTag.filter(status_id__gte=snowflake_floor(since), status__visibility__in=OPEN,
                             status__reblog_of_id=None)
    if tag_ids is not None:
        query = query.filter(tag_id__in=list(tag_ids))
    return list(await query.values_list("tag_id", "status_id", "status__account_id"))


async def trending(*, limit: int = 10, offset: int = 0, window_hours: int = 24,
                   now: datetime | None = None) -> list[Trend]:
    """Tags used in the current window, most trending first."""
    now = now or datetime.now(UTC)
    current_start = now - timedelta(hours=window_hours)
    rows = await _uses_since(current_start - timedelta(hours=window_hours))
    current: Counter[int] = Counter()
    previous: Counter[int] = Counter()
    accounts: dict[int, set[int]] = defaultdict(set)
    for tag_id, status_id, account_id in rows:
        if _time_of(status_id) >= current_start:
            current[tag_id] += 1
            accounts[tag_id].add(account_id)
        else:
            previous[tag_id] += 1
    tags = {t.id: t for t in await Tag.filter(id__in=list(current))}
    trends = [Trend(tags[t], current[t], previous[t], len(accounts[t]), window_hours) for t in current if t in tags]
    trends.sort(key=lambda t: (-t.score, -t.uses, t.tag.name))
    return trends[offset:offset + limit]


async def history(tag_ids: Sequence[int], *, days: int = HISTORY_DAYS,
                  now: datetime | None = None) -> dict[int, list[dict[str, str]]]:
    """Mastodon's tag `history`: one entry per day, today first, with day (Unix time of midnight UTC),
    uses and accounts as strings."""
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    uses: dict[tuple[int, datetime], int] = Counter()
    accounts: dict[tuple[int, datetime], set[int]] = defaultdict(set)
    if tag_ids:
        for tag_id, status_id, account_id in await _uses_since(first, tag_ids):
            moment = _time_of(status_id)
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            uses[(tag_id, day)] += 1
            accounts[(tag_id, day)].add(account_id)
    result = {}
    for tag_id in tag_ids:
        result[tag_id] = [{"day": str(int((today - timedelta(days=n)).timestamp())),
                           "uses": str(uses[(tag_id, today - timedelta(days=n))]),
                           "accounts": str(len(accounts[(tag_id, today - timedelta(days=n))]))}
                          for n in range(days)]
    return result


async def related(tag: Tag, *, limit: int = 10, days: int = 30) -> list[tuple[Tag, int]]:
    """Tags that appear on the same public statuses as `tag` in the last `days`, most shared first."""
    since = datetime.now(UTC) - timedelta(days=days)
    status_ids = list(await StatusTag.filter(tag_id=tag.id, status_id__gte=snowflake_floor(since),
                                             status__visibility__in=OPEN).values_list("status_id", flat=True))
    if not status_ids:
        return []
    together: Counter[int] = Counter()
    for start in range(0, len(status_ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = status_ids[start:start + 900]
        together.update(await StatusTag.filter(status_id__in=chunk).exclude(tag_id=tag.id).values_list(
            "tag_id", flat=True))
    tags = {t.id: t for t in await Tag.filter(id__in=list(together))}
    ranked = sorted(together.items(), key=lambda item: (-item[1], tags[item[0]].name if item[0] in tags else ""))
    return [(tags[t], n) for t, n in ranked if t in tags][:limit]
