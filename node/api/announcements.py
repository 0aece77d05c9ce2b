"""/api/v1/announcements (Mastodon's): the published announcements for the signed-in user, dismissing one,
and adding or removing an emoji reaction. Admins write announcements in the web admin area or with
`entativa announcement` (Mastodon has no admin API for them either)."""

from __future__ import annotations

from aiohttp import web

from ..services import announcements
from .auth import require_account
from .endpoint import endpoint
from .entities.announcements import announcement_entities
from .keys import NODE

routes = web.RouteTableDef()


@routes.get("/api/v1/announcements")
@endpoint(returns=list)
async def index(request: web.Request) -> web.Response:
    """Published announcements, in event/publication order, each with `read` and the reactions."""
    account = await require_account(request)
    rows = await announcements.published()
    return web.json_response(await announcement_entities(request.app[NODE], rows, account))


@routes.post("/api/v1/announcements/{id}/dismiss")
@endpoint()
async def dismiss(request: web.Request) -> web.Response:
    """Mark an announcement read for the caller."""
    account = await require_account(request, "write:accounts")
    await announcements.dismiss(account, await announcements.get(request.match_info["id"]))
    return web.json_response({})


@routes.put("/api/v1/announcements/{id}/reactions/{name}")
@endpoint(errors=(422,))
async def react(request: web.Request) -> web.Response:
    """Add a Unicode emoji reaction (422 if not an emoji, already added, or past 8 kinds)."""
    account = await require_account(request, "write:favourites")
    announcement = await announcements.get(request.match_info["id"])
    await announcements.react(request.app[NODE], account, announcement, request.match_info["name"])
    return web.json_response({})


@routes.delete("/api/v1/announcements/{id}/reactions/{name}")
@endpoint()
async def unreact(request: web.Request) -> web.Response:
    """Remove the caller's reaction (404 when they had not added it)."""
    account = await require_account(request, "write:favourites")
    announcement = await announcements.get(request.match_info["id"])
    await announcements.unreact(request.app[NODE], account, announcement, request.match_info["name"])
    return web.json_response({})
