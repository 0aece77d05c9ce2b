"""Take trends: starting one with a Take, joining one (ours or another server's), the authoritative
participant collection an origin node keeps (accept, reject, remove), verification states of the Takes
that claim a trend, and trending trends ranked by recent growth.

Attribution cannot be forged because only the trend's origin node decides who is in its collection, and
it adds a Take only after reading it from the Take's own server (see node/activitypub/takes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, F, When
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from ..errors import NotFound, ValidationFailed
from ..models import Account, Status, Take, TakeTrend, TrendHour, TrendParticipation, row_id
from ..runtime import Node
from .notifications import notify
from .takes import attribution_html

if TYPE_CHECKING:
    from .takes import TakeDraft

HASHTAG = re.compile(r"^[^\W_][\w]{0,99}$", re.UNICODE)
MAX_NAME = 100
NOTIFICATION = "take_trend_joined"  # an extension type, as Mastodon clients show unknown types or skip them


@dataclass
class TrendPlan:
    """What a new Take does about trends: start one (name, hashtag), join `joining`, or neither."""

    name: str | None = None
    hashtag: str | None = None
    joining: TakeTrend | None = None

    @property
    def starting(self) -> bool:
        return self.name is not None


def check_hashtag(value: str) -> str:
    tag = value.strip().removeprefix("#")
    if not HASHTAG.match(tag):
        raise ValidationFailed("Validation failed: Trend hashtag must be letters, digits or _ (up to 100)")
    return tag


async def find(trend_id: int | str) -> TakeTrend:
    key = row_id(trend_id)
    trend = await TakeTrend.filter(id=key).first()
    if trend is None:
        raise NotFound()
    return trend


async def plan(node: Node, account: Account, draft: TakeDraft) -> TrendPlan:
    """Validate a new Take's trend fields; a trend known only by its IRI is fetched from its origin."""
    from ..activitypub import takes as federated

    starting = draft.trend_name is not None or draft.trend_hashtag is not None
    joining = draft.trend_id is not None or bool(draft.trend_uri)
    if starting and joining:
        raise ValidationFailed("Validation failed: A Take can start a trend or join one, not both")
    if starting:
        name = (draft.trend_name or "").strip()
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed(f"Validation failed: Trend name must be 1 to {MAX_NAME} characters")
        return TrendPlan(name=name, hashtag=check_hashtag(draft.trend_hashtag or ""))
    if draft.trend_id is not None:
        trend = await TakeTrend.filter(id=draft.trend_id).first()
        if trend is None:
            raise ValidationFailed(f"Validation failed: Trend {draft.trend_id} not found")
        return TrendPlan(hashtag=trend.hashtag, joining=trend)
    if draft.trend_uri:
        trend = await federated.resolve_trend(node, draft.trend_uri)
        return TrendPlan(hashtag=trend.hashtag, joining=trend)
    return TrendPlan()


def claim_of(trend: TakeTrend, originator: Account) -> dict[str, Any]:
    """How a Take describes the trend it belongs to (stored, served, and compared when verifying)."""
    return {"id": trend.uri, "name": trend.name, "hashtag": trend.hashtag, "originTake": trend.origin_take_uri,
            "attributedTo": originator.uri, "participants": trend.participants_uri, "url": trend.url}


async def link_new_take(node: Node, take: Take, status: Status, account: Account, plan: TrendPlan) -> str:
    """Inside the new Take's transaction: start or join the trend; returns the attribution HTML."""
    now = status.created_at
    if plan.starting:
        uri = f"{status.uri}/trend"
        trend = await TakeTrend.create(uri=uri, local=True, name=plan.name, hashtag=plan.hashtag,
                                       origin_take_uri=status.uri, origin_take_id=take.id, originator_id=account.id,
                                       participants_uri=f"{uri}/participants", url=status.url or "", verified_at=now,
                                       created_at=now)
        trend.url = f"{node.urls.base}/takes/trends/{trend.id}"
        await trend.save(update_fields=["url"])
        originator, state = account, "origin"
    elif plan.joining is not None:
        trend = plan.joining
        originator = await Account.get(id=trend.originator_id)
        state = "verified" if trend.local else "pending"  # a remote origin answers our Add later
    else:
        return ""
    take.trend_id, take.trend_uri, take.trend_state = trend.id, trend.uri, state
    take.trend_claim = claim_of(trend, originator)
    take.trend_checked_at = now
    await take.save(update_fields=["trend_id", "trend_uri", "trend_state", "trend_claim", "trend_checked_at"])
    return attribution_html(originator, await origin_url(trend), node.config.node.domain)


async def origin_url(trend: TakeTrend) -> str:
    """The deep link to the trend's originating Take (its page on the origin server)."""
    if trend.origin_take_id is not None:
        take = await Take.filter(id=trend.origin_take_id).first()
        status = await Status.filter(id=take.status_id).only("id", "url", "uri").first() if take else None
        if status is not None:
            return status.url or status.uri or trend.origin_take_uri
    return trend.origin_take_uri


async def attribution_for(node: Node, take: Take) -> str:
    if take.trend_id is None:
        return ""
    trend = await TakeTrend.filter(id=take.trend_id).first()
    originator = await Account.filter(id=trend.originator_id).first() if trend else None
    if trend is None or originator is None:
        return ""
    return attribution_html(originator, await origin_url(trend), node.config.node.domain)


# ---- the origin's collection --------------------------------------------------------------------------------


def _hour(moment: datetime) -> int:
    return int(moment.timestamp()) // 3600


async def count_join(trend_id: int, at: datetime, delta: int = 1) -> None:
    """Add to (or take from) the trend's join count for the hour `at` falls in."""
    hour = _hour(at)
    if await TrendHour.filter(trend_id=trend_id, hour=hour).update(joins=F("joins") + delta):
        return
    if delta < 0:
        return
    try:
        await TrendHour.create(trend_id=trend_id, hour=hour, joins=delta)
    except IntegrityError:  # made at the same moment by another join
        await TrendHour.filter(trend_id=trend_id, hour=hour).update(joins=F("joins") + delta)


async def accept(node: Node, trend: TakeTrend, take_uri: str, author: Account, take: Take | None) -> bool:
    """Our trend gains a participant (verified by the caller); the originator is told once. Returns
    whether it is new."""
    now = datetime.now(UTC)
    async with in_transaction():
        row = await TrendParticipation.filter(trend_id=trend.id, take_uri=take_uri).first()
        if row is not None and row.state == "accepted":
            if take is not None and row.take_id is None:
                await TrendParticipation.filter(id=row.id).update(take_id=take.id)
            return False
        if row is None:
            row = TrendParticipation(trend_id=trend.id, take_uri=take_uri, created_at=now)
        row.actor_uri, row.account_id = author.uri or "", author.id
        row.take_id = take.id if take is not None else None
        row.state, row.reason, row.verified_at = "accepted", "", now
        await row.save()
        await TakeTrend.filter(id=trend.id).update(participants_count=F("participants_count") + 1)
        await count_join(trend.id, now)
        if take is not None:
            await Take.filter(id=take.id).update(trend_id=trend.id, trend_uri=trend.uri, trend_state="verified",
                                                 trend_checked_at=now)
    status = await Status.filter(id=take.status_id).first() if take is not None else None
    await notify(node, trend.originator_id, NOTIFICATION, author, status, subject=trend.id)  # grouped per trend
    await node.bus.publish("take_trend.joined", trend=trend, participation=row)
    return True


async def reject(trend: TakeTrend, take_uri: str, actor_uri: str, reason: str) -> None:
    """Record a refused claim (an accepted participant stays: only its author's Remove ends that)."""
    row = await TrendParticipation.filter(trend_id=trend.id, take_uri=take_uri[:1024]).first()
    if row is not None and row.state == "accepted":
        return
    if row is None:
        await TrendParticipation.create(trend_id=trend.id, take_uri=take_uri[:1024], actor_uri=actor_uri[:1024],
                                        state="rejected", reason=reason[:300], created_at=datetime.now(UTC))
    else:
        await TrendParticipation.filter(id=row.id).update(state="rejected", reason=reason[:300])


async def remove(node: Node, trend: TakeTrend, take_uri: str, actor_uri: str | None = None) -> bool:
    """A participant leaves our trend (its Take was deleted, or its author sent Remove)."""
    query = TrendParticipation.filter(trend_id=trend.id, take_uri=take_uri, state="accepted")
    if actor_uri is not None:
        query = query.filter(actor_uri=actor_uri)
    row = await query.first()
    if row is None:
        return False
    async with in_transaction():
        await TrendParticipation.filter(id=row.id).delete()
        await TakeTrend.filter(id=trend.id, participants_count__gt=0).update(
            participants_count=F("participants_count") - 1)
        await count_join(trend.id, row.verified_at or row.created_at, -1)
    await node.bus.publish("take_trend.left", trend=trend, participation=row)
    return True


async def participants(trend: TakeTrend, *, max_id: int | None = None, limit: int = 20,
                       item: str | None = None) -> list[TrendParticipation]:
    """Accepted participants, newest first (or just `item`, if it is one)."""
    query = TrendParticipation.filter(trend_id=trend.id, state="accepted")
    if item is not None:
        return list(await query.filter(take_uri=item).limit(1))
    if max_id is not None:
        query = query.filter(id__lt=max_id)
    return list(await query.order_by("-id").limit(limit))


async def accepted_count(trend: TakeTrend) -> int:
    return await TrendParticipation.filter(trend_id=trend.id, state="accepted").count()


async def set_state(take: Take, trend: TakeTrend | None, state: str) -> None:
    """Record what checking a Take's trend claim found; a remote trend's newly verified participant
    counts in this server's growth figures."""
    now = datetime.now(UTC)
    newly = state == "verified" and take.trend_state != "verified" and trend is not None and not trend.local
    take.trend_state, take.trend_checked_at = state, now
    fields = ["trend_state", "trend_checked_at"]
    if trend is not None:
        take.trend_id = trend.id
        fields.append("trend_id")
    await take.save(update_fields=fields)
    if newly and trend is not None:
        await count_join(trend.id, now)


# ---- trending -----------------------------------------------------------------------------------------------


@dataclass
class Growth:
    trend: TakeTrend
    joins: int  # in this window
    previous: int  # in the window before
    hours: int

    @property
    def per_hour(self) -> float:
        return self.joins / self.hours

    @property
    def previous_per_hour(self) -> float:
        return self.previous / self.hours

    @property
    def rate(self) -> float:
        """Growth in participants per hour: this window's rate minus the last one's."""
        return self.per_hour - self.previous_per_hour


async def trending(node: Node, *, hours: int | None = None, limit: int = 20, offset: int = 0,
                   now: datetime | None = None) -> list[Growth]:
    """Trends ranked by recent growth: joins per hour in the last `hours` against the `hours` before."""
    window = hours or node.config.takes.trend_window_hours
    current = _hour(now or datetime.now(UTC))
    # One grouped scan of the hour index: joins in this window and in the one before, per trend.
    rows = await TrendHour.filter(hour__gt=current - 2 * window, hour__lte=current).group_by("trend_id").annotate(
        recent=Sum(Case(When(hour__gt=current - window, then=F("joins")), default=0)),
        total=Sum("joins")).values_list("trend_id", "recent", "total")
    joins = {trend_id: [int(recent or 0), int(total or 0) - int(recent or 0)] for trend_id, recent, total in rows}
    ranked = sorted(((t, pair) for t, pair in joins.items() if pair[0] > 0),
                    key=lambda item: (item[1][0] - item[1][1], item[1][0], item[0]), reverse=True)
    chosen = ranked[offset:offset + limit]
    trends = {t.id: t for t in await TakeTrend.filter(id__in=[t for t, _ in chosen])}
    return [Growth(trends[t], pair[0], pair[1], window) for t, pair in chosen if t in trends]


async def growth_of(node: Node, trend: TakeTrend, *, hours: int | None = None) -> Growth:
    window = hours or node.config.takes.trend_window_hours
    current = _hour(datetime.now(UTC))
    pair = [0, 0]
    for hour, count in await TrendHour.filter(trend_id=trend.id, hour__gt=current - 2 * window,
                                              hour__lte=current).values_list("hour", "joins"):
        pair[0 if hour > current - window else 1] += count
    return Growth(trend, pair[0], pair[1], window)


def subscribe(node: Node) -> None:
    """Local joins of our own trends are accepted at once; a deleted participant leaves our collection."""

    @node.bus.on("take.joined_trend")
    async def on_joined(take: Take, trend: TakeTrend) -> None:
        if trend.local:
            await accept(node, trend, take.uri, await Account.get(id=take.account_id), take)

    @node.bus.on("take.deleted")
    async def on_deleted(take: Take) -> None:
        if take.trend_id is None:
            return
        trend = await TakeTrend.filter(id=take.trend_id).first()
        if trend is not None and trend.local:
            await remove(node, trend, take.uri)
