"""/api/v1/apps: registering OAuth client apps and checking an app's own token."""

from __future__ import annotations

from aiohttp import web

from ..errors import Unauthorized
from ..notify import state as channels
from ..services import oauth
from .auth import current_grant
from .endpoint import endpoint
from .entities.applications import application_entity
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()


@routes.post("/api/v1/apps")
@endpoint(params={"client_name": str, "redirect_uris": str, "scopes": str, "website": str})
async def create_app(request: web.Request) -> web.Response:
    """Register a client app; answers its Application with client_id and client_secret."""
    params = await read_params(request)
    redirect = params.raw("redirect_uris")
    if isinstance(redirect, dict):  # redirect_uris[0]=...&redirect_uris[1]=...
        redirect = params.list("redirect_uris")
    elif redirect is not None and not isinstance(redirect, (str, list)):
        redirect = str(redirect)
    app = await oauth.register_app(params.str("client_name", "") or "", redirect,
                                   params.str("scopes", max_length=1024), params.str("website", max_length=1000))
    return web.json_response(application_entity(app, credentials=True,
                                                vapid_key=channels.of(request.app[NODE]).vapid_public))


@routes.get("/api/v1/apps/verify_credentials")
@endpoint()
async def verify_app(request: web.Request) -> web.Response:
    """The Application the access token belongs to."""
    grant = await current_grant(request)
    if grant is None or grant.app is None:
        raise Unauthorized("The access token is invalid")
    return web.json_response(application_entity(grant.app, vapid_key=channels.of(request.app[NODE]).vapid_public))
