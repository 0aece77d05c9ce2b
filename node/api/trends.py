"""/api/v1/trends/tags (Mastodon's, with our `growth` extension field) and related hashtags, trending links
(preview cards shared by many) and trending statuses."""

from __future__ import annotations

from aiohttp import web

from ..errors import NotFound
from ..models import Tag
from ..search import trends
from ..services import hashtags, status_trends, visibility
from .auth import optional_account
from .endpoint import endpoint
from .entities.cards import card_entity
from .entities.filters import filtered
from .entities.statuses import status_entities
from .entities.tags import tag_entities
from .keys import NODE
from .pagination import offset_response
from .params import read_params

routes = web.RouteTableDef()


@routes.get("/api/v1/trends/tags")
@routes.get("/api/v1/trends")
@endpoint(params={"limit": int, "offset": int, "window_hours": int}, returns=list)
async def trending_tags(request: web.Request) -> web.Response:
    """Hashtags used more and by more people lately: Tag entities with a 7-day history and a growth rate."""
    node = request.app[NODE]
    params = await read_params(request)
    limit = params.int("limit", 10, low=1, high=20) or 10
    offset = params.int("offset", 0, low=0, high=1000) or 0
    window = params.int("window_hours", 24, low=1, high=168) or 24
    found = await trends.trending(limit=limit, offset=offset, window_hours=window)
    entities = await tag_entities(node, [t.tag for t in found])
    for entity, trend in zip(entities, found, strict=True):
        entity["growth"] = {"window_hours": window, "uses": trend.uses, "previous_uses": trend.previous_uses,
                            "uses_per_hour": round(trend.uses_per_hour, 3),
                            "previous_uses_per_hour": round(trend.previous_uses_per_hour, 3),
                            "rate": round(trend.growth, 3), "accounts": trend.accounts}
    return web.json_response(entities)


@routes.get("/api/v1/trends/tags/{name}/related")
@endpoint(params={"limit": int}, returns=list)
async def related_tags(request: web.Request) -> web.Response:
    """Hashtags that appear on the same posts as this one, most shared first (each with `shared`)."""
    node = request.app[NODE]
    params = await read_params(request)
    limit = params.int("limit", 10, low=1, high=40) or 10
    tag = await Tag.filter(name=hashtags.normalize(request.match_info["name"])).first()
    if tag is None:
        raise NotFound()
    found = await trends.related(tag, limit=limit)
    entities = await tag_entities(node, [t for t, _ in found])
    for entity, (_, shared) in zip(entities, found, strict=True):
        entity["shared"] = shared
    return web.json_response(entities)


@routes.get("/api/v1/trends/links")
@endpoint(params={"limit": int, "offset": int}, returns=list)
async def trending_links(request: web.Request) -> web.Response:
    """Links shared by the most accounts in public posts over the last day: PreviewCard entities with a
    7-day `history` (day, accounts, uses), paged by `offset` (limit 10, at most 20)."""
    node = request.app[NODE]
    params = await read_params(request)
    limit = params.int("limit", 10, low=1, high=20) or 10
    offset = params.int("offset", 0, low=0, high=1000) or 0
    now = node.clock.now()
    cards = await status_trends.trending_links(now, limit=limit, offset=offset)
    histories = await status_trends.link_history([c.id for c in cards], now)
    body = [{**card_entity(node, c), "history": histories[c.id]} for c in cards]
    return offset_response(request, body, offset=offset, limit=limit)


@routes.get("/api/v1/trends/statuses")
@endpoint(params={"limit": int, "offset": int}, returns=list)
async def trending_statuses(request: web.Request) -> web.Response:
    """Public statuses with the most favourites, reblogs and replies lately, decaying with age; the viewer's
    blocks, mutes and public-context filters apply. Paged by `offset` (limit 20, at most 40)."""
    node = request.app[NODE]
    viewer = await optional_account(request)
    params = await read_params(request)
    limit = params.int("limit", 20, low=1, high=40) or 20
    offset = params.int("offset", 0, low=0, high=1000) or 0
    found = await status_trends.trending_statuses(node.clock.now(), limit=limit, offset=offset)
    shown = await visibility.visible(viewer, found, hide_muted=True)
    body = await filtered(node, viewer, "public", await status_entities(node, shown, viewer))
    return offset_response(request, body, offset=offset, limit=limit, more=len(found) >= limit)
