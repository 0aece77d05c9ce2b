"""Hashtags: /api/v1/tags/:name (+ follow, unfollow), /api/v1/followed_tags, and featured tags
(/api/v1/featured_tags, suggestions, /api/v1/accounts/:id/featured_tags)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..runtime import Node
from ..services import accounts, tags
from .auth import optional_account, require_account
from .endpoint import PAGE, endpoint, required
from .entities.common import iso
from .entities.tags import tag_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()


def featured_entity(node: Node, featured: tags.Featured, username: str) -> dict[str, Any]:
    return {
        "id": str(featured.row.id),
        "name": featured.tag.display_name,
        "url": f"{node.urls.profile(username)}/tagged/{featured.tag.name}",
        "statuses_count": str(featured.statuses_count),
        "last_status_at": iso(featured.last_status_at),
    }


@routes.get("/api/v1/tags/{name}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """A hashtag this node knows, with its 7-day history and whether the caller follows it."""
    viewer = await optional_account(request)
    tag = await tags.existing(request.match_info["name"])
    return web.json_response((await tag_entities(request.app[NODE], [tag], viewer))[0])


@routes.post("/api/v1/tags/{name}/follow")
@endpoint()
async def follow(request: web.Request) -> web.Response:
    """Follow a hashtag: its public posts come to the home timeline (idempotent)."""
    account = await require_account(request, "write:follows")
    tag = await tags.follow(account, request.match_info["name"])
    return web.json_response((await tag_entities(request.app[NODE], [tag], account))[0])


@routes.post("/api/v1/tags/{name}/unfollow")
@endpoint()
async def unfollow(request: web.Request) -> web.Response:
    """Stop following a hashtag (idempotent)."""
    account = await require_account(request, "write:follows")
    tag = await tags.unfollow(account, request.match_info["name"])
    return web.json_response((await tag_entities(request.app[NODE], [tag], account))[0])


@routes.get("/api/v1/followed_tags")
@endpoint(params=PAGE, returns=list)
async def followed(request: web.Request) -> web.Response:
    """The hashtags the caller follows (paginated: limit 100, at most 200)."""
    account = await require_account(request, "read:follows")
    page = requested_page(await read_params(request), default=100, most=200)
    rows, keys = await tags.followed(account, page)
    return paged_response(request, await tag_entities(request.app[NODE], rows, account), keys)


@routes.get("/api/v1/featured_tags")
@endpoint(returns=list)
async def featured(request: web.Request) -> web.Response:
    """The hashtags the caller features on their profile."""
    account = await require_account(request, "read:accounts")
    node = request.app[NODE]
    return web.json_response(
        [featured_entity(node, f, account.username) for f in await tags.featured_of(account.id)]
    )


@routes.post("/api/v1/featured_tags")
@endpoint(params={"name": required(str)})
async def feature(request: web.Request) -> web.Response:
    """Feature a hashtag (`name`) on the caller's profile (up to 10)."""
    account = await require_account(request, "write:accounts")
    params = await read_params(request)
    made = await tags.feature(account, params.str("name", required=True))
    return web.json_response(featured_entity(request.app[NODE], made, account.username))


@routes.delete("/api/v1/featured_tags/{id:\\d+}")
@endpoint()
async def unfeature(request: web.Request) -> web.Response:
    """Stop featuring a hashtag; answers {}."""
    account = await require_account(request, "write:accounts")
    await tags.unfeature(account, request.match_info["id"])
    return web.json_response({})


@routes.get("/api/v1/featured_tags/suggestions")
@endpoint(returns=list)
async def suggestions(request: web.Request) -> web.Response:
    """Hashtags the caller used most lately and does not feature yet."""
    account = await require_account(request, "read:accounts")
    return web.json_response(await tag_entities(request.app[NODE], await tags.suggestions(account), account))


@routes.get("/api/v1/accounts/{id}/featured_tags")
@endpoint(returns=list)
async def account_featured(request: web.Request) -> web.Response:
    """The hashtags an account features on its profile."""
    account = await accounts.get_account(request.match_info["id"])
    node = request.app[NODE]
    return web.json_response(
        [featured_entity(node, f, account.username) for f in await tags.featured_of(account.id)]
    )
