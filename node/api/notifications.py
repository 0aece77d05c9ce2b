"""/api/v1/notifications (list, one, dismiss, clear, unread count) and /api/v1/markers (read positions)."""

from __future__ import annotations

from aiohttp import web

from ..errors import NotFound, ValidationFailed
from ..services import notifications
from ..services.notification_groups import Filters
from .auth import require_account
from .endpoint import ID, PAGE, endpoint, required
from .entities.filters import filtered_notifications
from .entities.notifications import marker_entities, notification_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()
BASE = "/api/v1/notifications"


def listing_filters(params: Params) -> Filters:
    """types[], exclude_types[], account_id and include_filtered, as v1 and v2 listings read them."""
    return Filters(
        types=[str(t) for t in params.list("types")],
        exclude_types=[str(t) for t in params.list("exclude_types")],
        from_account_id=params.int("account_id"),
        include_filtered=params.bool("include_filtered"),
    )


@routes.get(BASE)
@endpoint(params={**PAGE, "account_id": int, "include_filtered": bool, "types": [str], "exclude_types": [str]}, returns=list)
async def listing(request: web.Request) -> web.Response:
    """The caller's notifications, filtered by types[], exclude_types[], account_id and include_filtered
    (paginated)."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    rows = await notifications.listed(
        account, requested_page(params, default=40, most=80), listing_filters(params)
    )
    body = await notification_entities(request.app[NODE], rows, account)
    body = await filtered_notifications(request.app[NODE], account, body)
    return paged_response(request, body, [n.id for n in rows])


@routes.get(BASE + "/unread_count")
@endpoint(params={"limit": int})
async def unread_count(request: web.Request) -> web.Response:
    """How many notifications arrived after the notifications read marker."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    limit = params.int("limit", 100, low=1, high=1000) or 100
    return web.json_response({"count": await notifications.unread_count(account, limit=limit)})


@routes.post(BASE + "/clear")
@endpoint()
async def clear(request: web.Request) -> web.Response:
    """Dismiss all of the caller's notifications."""
    account = await require_account(request, "write:notifications")
    await notifications.clear(account)
    return web.json_response({})


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """View one notification."""
    account = await require_account(request, "read:notifications")
    notification = await notifications.own_notification(account, request.match_info["id"])
    body = await notification_entities(request.app[NODE], [notification], account)
    if not body:
        raise NotFound()
    return web.json_response(body[0])


@routes.post(BASE + "/{id}/dismiss")
@endpoint()
async def dismiss(request: web.Request) -> web.Response:
    """Dismiss one notification."""
    account = await require_account(request, "write:notifications")
    await notifications.dismiss(account, request.match_info["id"])
    return web.json_response({})


@routes.get("/api/v1/markers")
@endpoint(params={"timeline": [str]})
async def get_markers(request: web.Request) -> web.Response:
    """The caller's read markers for the timelines asked for (timeline[])."""
    account = await require_account(request, "read:statuses")
    params = await read_params(request)
    return web.json_response(marker_entities(await notifications.markers(account, params.list("timeline"))))


@routes.post("/api/v1/markers")
@endpoint(params={"home": {"last_read_id": required(ID)}, "notifications": {"last_read_id": required(ID)}})
async def save_markers(request: web.Request) -> web.Response:
    """Move read markers: home[last_read_id] and/or notifications[last_read_id]."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    positions = {}
    for timeline in ("home", "notifications"):
        nested = params.nested(timeline)
        if nested is not None:
            positions[timeline] = nested.int("last_read_id", required=True, low=0)
    if not positions:
        raise ValidationFailed("Validation failed: Give home[last_read_id] or notifications[last_read_id]")
    return web.json_response(marker_entities(await notifications.save_markers(account, positions)))
