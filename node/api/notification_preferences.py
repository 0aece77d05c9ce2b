"""/api/v1/notifications/preferences (extension): per type x channel (push, email), quiet hours, email digest."""

from __future__ import annotations

from aiohttp import web

from federation import jsondoc

from ..errors import BadRequest
from ..notify import preferences
from .auth import require_account
from .endpoint import endpoint

routes = web.RouteTableDef()
PATH = "/api/v1/notifications/preferences"


@routes.get(PATH)
@endpoint()
async def show(request: web.Request) -> web.Response:
    """The caller's preferences: {"types": {type: {push, email}}, "quiet_hours": {...}, "email_digest": ...}."""
    account = await require_account(request, "read:notifications")
    return web.json_response(await preferences.read(account.id))


@routes.put(PATH)
@endpoint()
async def update(request: web.Request) -> web.Response:
    """Change any part of them (a JSON body of the same shape); 422 naming the first bad field, nothing stored."""
    account = await require_account(request, "write:notifications")
    try:
        body = jsondoc.loads(await request.read() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON body") from None
    if not isinstance(body, dict):
        raise BadRequest("The JSON body must be an object")
    return web.json_response(await preferences.update(account.id, body))
