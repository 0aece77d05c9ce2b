"""Take, TakeTrend and TakeTemplate entities (our extensions), each Take with the Mastodon `Status` of its
video embedded so ordinary clients can still show it. Rendered a page at a time with `__in` queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Account, MediaAttachment, Status, Take, TakeTemplate, TakeTrend, TrendParticipation
from ...runtime import Node
from ...services import take_trends
from ...services.takes import steps_of
from .accounts import account_entity
from .common import iso
from .statuses import media_entity, status_entities


def handle(account: Account, local_domain: str) -> str:
    return f"@{account.username}@{account.domain or local_domain}"


def trend_entity(node: Node, trend: TakeTrend, originator: Account | None, origin_url: str,
                 growth: take_trends.Growth | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(trend.id),
        "uri": trend.uri,
        "url": trend.url or None,
        "name": trend.name,
        "hashtag": trend.hashtag,
        "local": trend.local,
        "origin_take_uri": trend.origin_take_uri,
        "origin_take_id": None,
        "origin_url": origin_url,
        "started_by": account_entity(node, originator) if originator else None,
        "attribution": f"Trend started by {handle(originator, node.config.node.domain)}" if originator else None,
        "participants_count": trend.participants_count,
        "participants_uri": trend.participants_uri,
        "verified": trend.local or trend.verified_at is not None,
        "created_at": iso(trend.created_at),
    }
    if growth is not None:
        entity["growth"] = {"window_hours": growth.hours, "participants": growth.joins,
                            "previous_participants": growth.previous, "per_hour": round(growth.per_hour, 4),
                            "previous_per_hour": round(growth.previous_per_hour, 4), "rate": round(growth.rate, 4)}
    return entity


async def trend_entities(node: Node, trends: Sequence[TakeTrend],
                         growth: dict[int, take_trends.Growth] | None = None) -> list[dict[str, Any]]:
    accounts = {a.id: a for a in await Account.filter(id__in={t.originator_id for t in trends})} if trends else {}
    origin_takes = {t.id: t.status_id for t in await Take.filter(
        id__in=[t.origin_take_id for t in trends if t.origin_take_id is not None])}
    out = []
    for trend in trends:
        entity = trend_entity(node, trend, accounts.get(trend.originator_id), await take_trends.origin_url(trend),
                              (growth or {}).get(trend.id))
        if trend.origin_take_id in origin_takes:
            entity["origin_take_id"] = str(origin_takes[trend.origin_take_id])
        out.append(entity)
    return out


def template_entity(node: Node, template: TakeTemplate, author: Account | None,
                    take_status_id: int | None) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "uri": template.uri,
        "url": template.url or None,
        "name": template.name,
        "local": template.local,
        "account": account_entity(node, author) if author else None,
        "take_id": str(take_status_id) if take_status_id else None,
        "take_uri": template.take_uri or None,
        "segments": template.segments,
        "overlays": template.overlays,
        "sound": template.sound,
        "effects": template.effects,
        "usage_count": template.usage_count,
        "created_at": iso(template.created_at),
        "updated_at": iso(template.updated_at),
    }


async def template_entities(node: Node, templates: Sequence[TakeTemplate]) -> list[dict[str, Any]]:
    authors = {a.id: a for a in await Account.filter(id__in={t.account_id for t in templates})} if templates else {}
    takes = {t.id: t.status_id for t in await Take.filter(id__in=[t.take_id for t in templates if t.take_id])}
    return [template_entity(node, t, authors.get(t.account_id), takes.get(t.take_id or 0)) for t in templates]


def _claimed_trend(node: Node, take: Take, trend: TakeTrend | None, originator: Account | None) -> dict[str, Any]:
    """The trend as the Take shows it: the origin's record when known, else the Take's own claim."""
    claim = take.trend_claim or {}
    if originator is not None:
        started_by = handle(originator, node.config.node.domain)
    else:  # not resolved yet: show what the Take claims, marked unverified by its state
        acct = claim.get("attributedTo") or ""
        started_by = acct
    return {
        "id": str(trend.id) if trend else None,
        "uri": trend.uri if trend else claim.get("id"),
        "name": trend.name if trend else claim.get("name"),
        "hashtag": trend.hashtag if trend else (claim.get("hashtag") or "").removeprefix("#"),
        "origin_take_uri": trend.origin_take_uri if trend else claim.get("originTake"),
        "started_by": account_entity(node, originator) if originator else None,
        "attribution": f"Trend started by {started_by}",
        "is_origin": take.trend_state == "origin",
        "verification": take.trend_state or "pending",
        "verified": take.trend_state in ("origin", "verified"),
        "checked_at": iso(take.trend_checked_at),
    }


async def take_entities(node: Node, statuses: Sequence[Status], viewer: Account | None) -> list[dict[str, Any]]:
    """The Take of each status that is one (others are skipped), in order."""
    if not statuses:
        return []
    takes = {t.status_id: t for t in await Take.filter(status_id__in=[s.id for s in statuses])}
    shown = [s for s in statuses if s.id in takes]
    rendered = {int(e["id"]): e for e in await status_entities(node, shown, viewer)}
    chosen = [takes[s.id] for s in shown]
    steps = await steps_of([t.id for t in chosen])
    step_media = {m.id: m for m in await MediaAttachment.filter(
        id__in=[s.media_id for rows in steps.values() for s in rows if s.media_id is not None])}
    trends = {t.id: t for t in await TakeTrend.filter(id__in={t.trend_id for t in chosen if t.trend_id})}
    templates = {t.id: t for t in await TakeTemplate.filter(id__in={t.template_id for t in chosen if t.template_id})}
    published = {t.take_id: t for t in await TakeTemplate.filter(take_id__in=[t.id for t in chosen])}
    wanted = {t.originator_id for t in trends.values()} | {t.account_id for t in templates.values()}
    accounts = {a.id: a for a in await Account.filter(id__in=wanted)} if wanted else {}
    origin_urls = {t.id: await take_trends.origin_url(t) for t in trends.values()}
    out = []
    for status in shown:
        take = takes[status.id]
        if status.id not in rendered:
            continue
        trend = trends.get(take.trend_id or 0)
        trend_view = None
        if trend is not None or take.trend_claim:
            trend_view = _claimed_trend(node, take, trend, accounts.get(trend.originator_id) if trend else None)
            trend_view["origin_url"] = origin_urls.get(trend.id) if trend else (take.trend_claim or {}).get("url")
        used = templates.get(take.template_id or 0)
        own_steps = steps.get(take.id, [])
        out.append({
            "id": str(status.id),
            "uri": take.uri,
            "url": f"{node.urls.base}/takes/{status.id}" if take.local else (status.url or take.uri),
            "status": rendered[status.id],
            "duration": take.duration,
            "width": take.width,
            "height": take.height,
            "views_count": take.views_count,
            "sound": {"title": take.sound_title, "author": take.sound_author or None,
                      "url": take.sound_url or None} if take.sound_title else None,
            "behind_the_take": {
                "updated_at": iso(take.btt_updated_at),
                "steps": [{"position": s.position, "text": s.text,
                           "at": s.at_seconds,
                           "media": media_entity(node, step_media[s.media_id]) if s.media_id in step_media else (
                               {"url": s.media_url} if s.media_url else None)} for s in own_steps],
            } if own_steps else None,
            "template": {"id": str(published[take.id].id), "name": published[take.id].name,
                         "usage_count": published[take.id].usage_count} if take.id in published else None,
            "from_template": {"id": str(used.id), "name": used.name, "uri": used.uri,
                              "account": account_entity(node, accounts[used.account_id])
                              if used.account_id in accounts else None} if used else (
                {"id": None, "uri": take.template_uri} if take.template_uri else None),
            "trend": trend_view,
            "created_at": iso(take.created_at),
        })
    return out


async def take_entity(node: Node, status: Status, viewer: Account | None) -> dict[str, Any]:
    return (await take_entities(node, [status], viewer))[0]


def participation_entity(row: TrendParticipation) -> dict[str, Any]:
    return {"id": str(row.id), "take_uri": row.take_uri, "actor_uri": row.actor_uri, "state": row.state,
            "reason": row.reason or None, "take_id": None, "verified_at": iso(row.verified_at),
            "created_at": iso(row.created_at)}
