"""Trending links and statuses (Mastodon's /api/v1/trends/links and /trends/statuses).

A link trends by how many distinct accounts shared it in public posts lately (a 7-day history per card, as
the tag trends'); a status by its favourites, reblogs and replies, decaying with age. Only public posts of
accounts that are discoverable and not suspended count, and the authors' servers must not be silenced.
Status ids are snowflakes, so every time bound is an id bound.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from ..activitypub import moderation
from ..models import PreviewCard, Status, StatusCard, snowflake_floor
from ..search.trends import HISTORY_DAYS, _time_of

LINK_WINDOW = timedelta(days=1)
STATUS_WINDOW = timedelta(days=2)
HALF_LIFE_HOURS = 12.0
CANDIDATES = 500  # the most interacted-with recent statuses, ranked in Python by decayed score


async def _shares_since(since: datetime, card_ids: list[int] | None = None) -> list[tuple[int, int, int]]:
    """(card_id, status_id, account_id) of every public, discoverable share since `since`."""
    query = StatusCard.filter(status_id__gte=snowflake_floor(since), card__state="fetched")
    if card_ids is not None:
        query = query.filter(card_id__in=card_ids)
    rows = await query.values_list("card_id", "status_id")
    if not rows:
        return []
    owners: dict[int, int] = {}
    status_ids = [s for _, s in rows]
    for start in range(0, len(status_ids), 900):  # stay under SQLite's bound-parameter limit
        owners.update(dict(await _trendable(Status.filter(id__in=status_ids[start:start + 900])).values_list(
            "id", "account_id")))
    return [(card, status, owners[status]) for card, status in rows if status in owners]


def _trendable(query):  # type: ignore[no-untyped-def]
    return query.filter(visibility="public", reblog_of_id=None, account__discoverable=True,
                        account__suspended_at=None, account__silenced_at=None)


async def _silenced_out(found: list[Status]) -> list[Status]:
    silenced = await moderation.silenced_domains()
    if not silenced:
        return found
    return [s for s in found if s.account.domain not in silenced]  # type: ignore[union-attr]


async def trending_links(now: datetime, *, limit: int, offset: int) -> list[PreviewCard]:
    counts: dict[int, set[int]] = defaultdict(set)
    for card_id, _, account_id in await _shares_since(now - LINK_WINDOW):
        counts[card_id].add(account_id)
    ranked = sorted(counts, key=lambda c: (-len(counts[c]), -c))[offset:offset + limit]
    cards = {c.id: c for c in await PreviewCard.filter(id__in=ranked)}
    return [cards[c] for c in ranked if c in cards]


async def link_history(card_ids: list[int], now: datetime) -> dict[int, list[dict[str, str]]]:
    """Mastodon's `history` of a trending link: per day, today first, uses and distinct accounts."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    uses: Counter[tuple[int, datetime]] = Counter()
    accounts: dict[tuple[int, datetime], set[int]] = defaultdict(set)
    for card_id, status_id, account_id in await _shares_since(today - timedelta(days=HISTORY_DAYS - 1), card_ids):
        day = _time_of(status_id).replace(hour=0, minute=0, second=0, microsecond=0)
        uses[(card_id, day)] += 1
        accounts[(card_id, day)].add(account_id)
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS)]
    return {c: [{"day": str(int(d.timestamp())), "accounts": str(len(accounts[(c, d)])), "uses": str(uses[(c, d)])}
                for d in days] for c in card_ids}


async def trending_statuses(now: datetime, *, limit: int, offset: int) -> list[Status]:
    query = _trendable(Status.filter(id__gte=snowflake_floor(now - STATUS_WINDOW))).filter(
        sensitive=False).select_related("account")
    candidates = await query.order_by("-favourites_count", "-reblogs_count").limit(CANDIDATES)
    candidates = [s for s in await _silenced_out(list(candidates))
                  if s.favourites_count + s.reblogs_count + s.replies_count > 0]

    def score(status: Status) -> float:
        hours = max(0.0, (now - _time_of(status.id)).total_seconds() / 3600)
        engaged = status.favourites_count + 2 * status.reblogs_count + status.replies_count
        return engaged * 0.5 ** (hours / HALF_LIFE_HOURS)

    candidates.sort(key=lambda s: (-score(s), -s.id))
    return candidates[offset:offset + limit]
