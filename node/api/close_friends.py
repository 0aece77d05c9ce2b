"""/api/v1/close_friends (extension): the list of accounts my close-friends stories reach."""

from __future__ import annotations

from aiohttp import web

from ..services.stories import audience
from .auth import require_account
from .endpoint import ID, endpoint
from .entities.accounts import account_entity
from .keys import NODE
from .params import read_params
from .responses import json_response

routes = web.RouteTableDef()
BASE = "/api/v1/close_friends"


@routes.get(BASE)
@endpoint(returns=list)
async def listed(request: web.Request) -> web.Response:
    """My close friends (accounts), in the order I added them."""
    account = await require_account(request, "read:accounts")
    node = request.app[NODE]
    return json_response([account_entity(node, a) for a in await audience.close_friends(account)])


@routes.post(BASE)
@endpoint(params={"account_ids": [ID]}, returns=list)
async def add(request: web.Request) -> web.Response:
    """Add `account_ids[]` (local or remote accounts); answers the whole list."""
    account = await require_account(request, "write:accounts")
    params = await read_params(request)
    node = request.app[NODE]
    friends = await audience.add_close_friends(node, account, params.ids("account_ids"))
    return json_response([account_entity(node, a) for a in friends])


@routes.delete(BASE + "/{account_id}")
@endpoint()
async def remove(request: web.Request) -> web.Response:
    """Take an account off my close friends (404 if it was not on the list)."""
    account = await require_account(request, "write:accounts")
    await audience.remove_close_friend(account, request.match_info["account_id"])
    return json_response({})
