"""/api/v1/take_trends (extension): trending trends ranked by recent growth, one trend, its Takes, its
participant collection (authoritative on the origin server), and looking a trend up by its IRI. Also the
ActivityPub side of our trends: the Trend document and its paged participant collection."""

from __future__ import annotations

from aiohttp import web

from federation.as2 import AS2_MEDIA_TYPE, ordered_collection, ordered_collection_page, page_url

from ..activitypub import takes as federated
from ..errors import NotFound
from ..models import Account, Status, Take, TakeTrend, parse_id, row_id
from ..services import take_trends, takes
from .activitypub import _as2, _authorized, _local, wants_as2
from .auth import optional_account, require_account
from .endpoint import PAGE, endpoint, required
from .entities.takes import participation_entity, take_entities, trend_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/take_trends"
COLLECTION_PAGE = 50


@routes.get(BASE)
@endpoint(params={"window": int, "limit": int, "offset": int}, returns=list)
async def trending(request: web.Request) -> web.Response:
    """Trending trends, ranked by growth: participants per hour in the last `window` hours (default
    `takes.trend_window_hours`) against the window before; each carries its `growth`."""
    params = await read_params(request)
    node = request.app[NODE]
    window = params.int("window", low=1, high=168)
    ranked = await take_trends.trending(node, hours=window, limit=params.int("limit", 20, low=1, high=40) or 20,
                                        offset=params.int("offset", 0, low=0) or 0)
    return web.json_response(await trend_entities(node, [g.trend for g in ranked], {g.trend.id: g for g in ranked}))


@routes.get(BASE + "/lookup")
@endpoint(params={"uri": required(str)})
async def lookup(request: web.Request) -> web.Response:
    """A trend by its ActivityPub IRI (`uri`), fetched from its origin server if this one does not know it."""
    await require_account(request, "read")
    params = await read_params(request)
    node = request.app[NODE]
    trend = await federated.resolve_trend(node, params.str("uri", required=True) or "")
    growth = await take_trends.growth_of(node, trend)
    return web.json_response((await trend_entities(node, [trend], {trend.id: growth}))[0])


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One trend, with its originator, deep link to the originating Take, and growth."""
    node = request.app[NODE]
    trend = await take_trends.find(request.match_info["id"])
    growth = await take_trends.growth_of(node, trend)
    return web.json_response((await trend_entities(node, [trend], {trend.id: growth}))[0])


@routes.get(BASE + "/{id}/takes")
@endpoint(params=PAGE, returns=list)
async def trend_takes(request: web.Request) -> web.Response:
    """The trend's Takes that this server holds and has verified (the origin's and participants'), newest first."""
    viewer = await optional_account(request)
    params = await read_params(request)
    trend = await take_trends.find(request.match_info["id"])
    rows, keys = await takes.by_trend(viewer, trend, requested_page(params))
    return paged_response(request, await take_entities(request.app[NODE], rows, viewer), keys)


@routes.get(BASE + "/{id}/participants")
@endpoint(params=PAGE, returns=list)
async def participants(request: web.Request) -> web.Response:
    """The authoritative participant list of one of this server's trends (accepted Takes by IRI)."""
    params = await read_params(request)
    trend = await take_trends.find(request.match_info["id"])
    if not trend.local:
        raise NotFound("This server does not keep that trend's participants; its origin does")
    page = requested_page(params)
    rows = await take_trends.participants(trend, max_id=page.max_id, limit=page.limit)
    return paged_response(request, [participation_entity(r) for r in rows], [r.id for r in rows])


# ---- ActivityPub ---------------------------------------------------------------------------------------------


async def _local_trend(request: web.Request) -> tuple[TakeTrend, Account, Status]:
    node = request.app[NODE]
    account = await _local(node, request.match_info["username"])
    status = await Status.filter(id=row_id(request.match_info["status_id"]), account_id=account.id, local=True,
                                 visibility__in=("public", "unlisted")).first()
    take = await Take.filter(status_id=status.id).first() if status else None
    trend = await TakeTrend.filter(origin_take_id=take.id, local=True).first() if take else None
    if trend is None or status is None:
        raise NotFound()
    return trend, account, status


@routes.get(r"/users/{username}/statuses/{status_id:\d+}/trend")
@endpoint(ok=(200, 302), returns=(AS2_MEDIA_TYPE, "text/html"))
async def trend_document(request: web.Request) -> web.StreamResponse:
    """The Trend this Take started (AS2: name, hashtag, originTake, attributedTo, participants), or its page."""
    trend, account, _ = await _local_trend(request)
    if not wants_as2(request):
        raise web.HTTPFound(trend.url)
    await _authorized(request)
    return _as2(federated.trend_document(trend, account, with_context=True))


@routes.get(r"/users/{username}/statuses/{status_id:\d+}/trend/participants")
@endpoint(params={"item": str, "max_id": str, "page": str}, returns=AS2_MEDIA_TYPE)
async def participants_collection(request: web.Request) -> web.Response:
    """The trend's authoritative participant collection (OrderedCollection of Take IRIs, paged with
    `page=true` and `max_id`); `item=<Take IRI>` answers a page holding just that Take if it is listed."""
    await _authorized(request)
    trend, _, _ = await _local_trend(request)
    collection = trend.participants_uri
    item = request.query.get("item")
    if request.query.get("page") != "true" and item is None:
        doc = ordered_collection(collection, total_items=trend.participants_count,
                                 first=page_url(collection, page=True))
        return _as2({**doc, "@context": federated.context()})
    max_id = request.query.get("max_id")
    bound = parse_id(max_id) if max_id and max_id.isdigit() else None
    rows = await take_trends.participants(trend, max_id=bound, limit=COLLECTION_PAGE, item=item)
    next_page = (page_url(collection, page=True, max_id=rows[-1].id)
                 if item is None and len(rows) == COLLECTION_PAGE else None)
    this = page_url(collection, page=True, max_id=max_id, item=item)
    doc = ordered_collection_page(this, collection, [r.take_uri for r in rows], next_page=next_page,
                                  total_items=trend.participants_count)
    return _as2({**doc, "@context": federated.context()})
