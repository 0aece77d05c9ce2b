"""/api/v1/lists (Mastodon's lists): the caller's lists, their members, which lists hold an account, and a
list's timeline (/api/v1/timelines/list/:id)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..models import List
from ..services import lists
from .auth import require_account
from .endpoint import ID, PAGE, endpoint
from .entities.accounts import account_entity
from .entities.filters import filtered
from .entities.statuses import status_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/lists"


def list_entity(row: List) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": row.exclusive,
    }


@routes.get(BASE)
@endpoint(returns=list)
async def index(request: web.Request) -> web.Response:
    """The caller's lists."""
    account = await require_account(request, "read:lists")
    return web.json_response([list_entity(row) for row in await lists.owned(account)])


@routes.post(BASE)
@endpoint(params={"title": str, "replies_policy": str, "exclusive": bool})
async def create(request: web.Request) -> web.Response:
    """Make a list: `title`, `replies_policy` (followed, list or none; default list), `exclusive`."""
    account = await require_account(request, "write:lists")
    params = await read_params(request)
    made = await lists.create(
        account, params.str("title"), params.str("replies_policy"), params.bool("exclusive")
    )
    return web.json_response(list_entity(made))


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One of the caller's lists (404 for anyone else's)."""
    account = await require_account(request, "read:lists")
    return web.json_response(list_entity(await lists.own(account, request.match_info["id"])))


@routes.put(BASE + "/{id}")
@endpoint(params={"title": str, "replies_policy": str, "exclusive": bool})
async def update(request: web.Request) -> web.Response:
    """Rename a list or change its replies_policy or exclusive flag."""
    account = await require_account(request, "write:lists")
    params = await read_params(request)
    exclusive = params.bool("exclusive") if "exclusive" in params else None
    changed = await lists.update(
        account, request.match_info["id"], params.str("title"), params.str("replies_policy"), exclusive
    )
    return web.json_response(list_entity(changed))


@routes.delete(BASE + "/{id}")
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete a list; answers {}."""
    account = await require_account(request, "write:lists")
    await lists.delete(account, request.match_info["id"])
    return web.json_response({})


@routes.get(BASE + "/{id}/accounts")
@endpoint(params=PAGE, returns=list)
async def members(request: web.Request) -> web.Response:
    """The list's accounts (paginated: limit 40, at most 80; limit=0 gives them all)."""
    account = await require_account(request, "read:lists")
    params = await read_params(request)
    page = None if params.int("limit", 40, low=0) == 0 else requested_page(params, default=40, most=80)
    rows, keys = await lists.members(account, request.match_info["id"], page)
    node = request.app[NODE]
    return paged_response(request, [account_entity(node, a) for a in rows], keys if page else [])


@routes.post(BASE + "/{id}/accounts")
@endpoint(params={"account_ids": [ID]})
async def add_members(request: web.Request) -> web.Response:
    """Add accounts the caller follows (`account_ids[]`); answers {}."""
    account = await require_account(request, "write:lists")
    params = await read_params(request)
    await lists.add_members(account, request.match_info["id"], params.ids("account_ids"))
    return web.json_response({})


@routes.delete(BASE + "/{id}/accounts")
@endpoint(params={"account_ids": [ID]})
async def remove_members(request: web.Request) -> web.Response:
    """Take accounts off the list (`account_ids[]`); answers {}."""
    account = await require_account(request, "write:lists")
    params = await read_params(request)
    await lists.remove_members(account, request.match_info["id"], params.ids("account_ids"))
    return web.json_response({})


@routes.get("/api/v1/accounts/{id}/lists")
@endpoint(returns=list)
async def holding(request: web.Request) -> web.Response:
    """The caller's lists that hold this account."""
    account = await require_account(request, "read:lists")
    return web.json_response(
        [list_entity(row) for row in await lists.lists_with(account, request.match_info["id"])]
    )


@routes.get("/api/v1/timelines/list/{id}")
@endpoint(params=PAGE, returns=list)
async def timeline(request: web.Request) -> web.Response:
    """A list's timeline: its members' statuses as its replies_policy allows (paginated)."""
    account = await require_account(request, "read:lists")
    rows, keys = await lists.timeline(
        account, request.match_info["id"], requested_page(await read_params(request))
    )
    body = await filtered(request.app[NODE], account, "home", await status_entities(request.app[NODE], rows, account))
    return paged_response(request, body, keys)
