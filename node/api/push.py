"""/api/v1/push/subscription: Mastodon's Web Push subscription of the calling access token (or browser session)."""

from __future__ import annotations

from aiohttp import web

from ..errors import NotFound
from ..notify import webpush
from ..services import auth as auth_service
from .auth import SESSION_COOKIE, require_user
from .endpoint import OBJECT, endpoint
from .keys import NODE
from .params import Params, read_params

routes = web.RouteTableDef()
PATH = "/api/v1/push/subscription"


def _credential(request: web.Request) -> str:
    """Which credential the subscription belongs to: one per access token, as Mastodon, or per browser session."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + auth_service.digest(token.strip())
    return "session:" + auth_service.digest(request.cookies.get(SESSION_COOKIE, ""))


def _data(params: Params) -> tuple[object, object]:
    data = params.nested("data") or Params({})
    # Mastodon.py sends `policy` at the top level, Mastodon's docs put it in data[policy].
    return data.raw("alerts"), data.raw("policy", params.raw("policy"))


@routes.post(PATH)
@endpoint(params={"subscription": {"endpoint": str, "keys": {"p256dh": str, "auth": str}, "standard": bool},
                  "data": {"alerts": OBJECT, "policy": str}, "policy": str})
async def create(request: web.Request) -> web.Response:
    """Subscribe (replaces this token's subscription): subscription[endpoint], subscription[keys][p256dh|auth],
    subscription[standard], data[alerts][<type>], data[policy]."""
    user = await require_user(request, "push")
    params = await read_params(request)
    subscription = params.nested("subscription") or Params({})
    keys = subscription.nested("keys") or Params({})
    alerts, policy = _data(params)
    sub = await webpush.subscribe(
        request.app[NODE],
        user,
        _credential(request),
        endpoint=subscription.raw("endpoint"),
        p256dh=keys.raw("p256dh"),
        auth=keys.raw("auth"),
        alerts=alerts,
        policy=policy,
        standard=subscription.bool("standard"),
    )
    return web.json_response(webpush.entity(request.app[NODE], sub))


@routes.get(PATH)
@endpoint(errors=(404,))
async def show(request: web.Request) -> web.Response:
    """This token's subscription, 404 if it has none."""
    await require_user(request, "push")
    sub = await webpush.current(_credential(request))
    if sub is None:
        raise NotFound()
    return web.json_response(webpush.entity(request.app[NODE], sub))


@routes.put(PATH)
@endpoint(params={"data": {"alerts": OBJECT, "policy": str}, "policy": str}, errors=(404,))
async def update(request: web.Request) -> web.Response:
    """Change data[alerts][<type>] and data[policy] of this token's subscription."""
    user = await require_user(request, "push")
    sub = await webpush.current(_credential(request))
    if sub is None:
        raise NotFound()
    alerts, policy = _data(await read_params(request))
    return web.json_response(
        webpush.entity(request.app[NODE], await webpush.change(user, sub, alerts=alerts, policy=policy))
    )


@routes.delete(PATH)
@endpoint(errors=(404,))
async def delete(request: web.Request) -> web.Response:
    """Remove this token's subscription."""
    await require_user(request, "push")
    await webpush.unsubscribe(_credential(request))
    return web.json_response({})
