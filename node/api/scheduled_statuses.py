"""/api/v1/scheduled_statuses: the caller's statuses waiting to be published; show, reschedule, cancel.
They are made by POST /api/v1/statuses with `scheduled_at` (see statuses.py)."""

from __future__ import annotations

from aiohttp import web

from ..services import scheduled_statuses
from .auth import require_account
from .endpoint import PAGE, endpoint, required
from .entities.scheduled import scheduled_status_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/scheduled_statuses"


@routes.get(BASE)
@endpoint(params=PAGE, returns=list)
async def index(request: web.Request) -> web.Response:
    """The caller's scheduled statuses, newest first (paginated: limit 20, at most 40)."""
    account = await require_account(request, "read:statuses")
    rows = await scheduled_statuses.listed(account, requested_page(await read_params(request)))
    return paged_response(
        request, await scheduled_status_entities(request.app[NODE], rows), [r.id for r in rows]
    )


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One scheduled status of the caller's."""
    account = await require_account(request, "read:statuses")
    row = await scheduled_statuses.own(account, request.match_info["id"])
    return web.json_response((await scheduled_status_entities(request.app[NODE], [row]))[0])


@routes.put(BASE + "/{id}")
@endpoint(params={"scheduled_at": required(str)})
async def update(request: web.Request) -> web.Response:
    """Move a scheduled status to another `scheduled_at` (at least 5 minutes ahead)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    when = scheduled_statuses.parse_time(params.str("scheduled_at", required=True))
    row = await scheduled_statuses.reschedule(request.app[NODE], account, request.match_info["id"], when)
    return web.json_response((await scheduled_status_entities(request.app[NODE], [row]))[0])


@routes.delete(BASE + "/{id}")
@endpoint()
async def cancel(request: web.Request) -> web.Response:
    """Cancel a scheduled status (its media can be used again); answers {}."""
    account = await require_account(request, "write:statuses")
    await scheduled_statuses.cancel(account, request.match_info["id"])
    return web.json_response({})
