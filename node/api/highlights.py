"""/api/v1/highlights (extension): permanent collections of my stories on my profile, and an account's
highlights (a remote account's read from its actor's `highlights` collection)."""

from __future__ import annotations

from aiohttp import web

from ..activitypub import stories as federated
from ..services import accounts
from ..services.stories import highlights
from .auth import optional_account, require_account
from .endpoint import ID, endpoint
from .entities.stories import highlight_entities
from .keys import NODE
from .params import Params, read_params
from .responses import json_response

routes = web.RouteTableDef()
BASE = "/api/v1/highlights"
ONE = BASE + r"/{id:\d+}"


def _cover(params: Params) -> int | None:
    return params.int("cover_story_id")


@routes.get(BASE)
@endpoint(returns=list)
async def mine(request: web.Request) -> web.Response:
    """My highlights with their stories."""
    account = await require_account(request, "read:statuses")
    node = request.app[NODE]
    return json_response(await highlight_entities(node, await highlights.of_account(account, account), account))


@routes.post(BASE)
@endpoint(params={"title": str, "story_ids": [ID], "cover_story_id": ID})
async def create(request: web.Request) -> web.Response:
    """Make a highlight: `title`, `story_ids[]` (my stories, expired ones too), `cover_story_id` (one of
    them; the first by default)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    made = await highlights.create(node, account, params.str("title"), params.ids("story_ids"), _cover(params))
    return json_response((await highlight_entities(node, [await highlights.one(account, made.id)], account))[0])


@routes.get(ONE)
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One highlight (public, as the profile is; close-friends stories only for close friends)."""
    viewer = await optional_account(request)
    node = request.app[NODE]
    return json_response((await highlight_entities(node, [await highlights.one(viewer, request.match_info["id"])],
                                                       viewer))[0])


@routes.put(ONE)
@endpoint(params={"title": str, "story_ids": [ID], "cover_story_id": ID})
async def update(request: web.Request) -> web.Response:
    """Change my highlight's `title`, `story_ids[]` (replaces the list) or `cover_story_id`."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story_ids = params.ids("story_ids") if "story_ids" in params or "story_ids[]" in params.data else None
    made = await highlights.update(node, account, request.match_info["id"], params.str("title"), story_ids,
                                   _cover(params))
    return json_response((await highlight_entities(node, [await highlights.one(account, made.id)], account))[0])


@routes.delete(ONE)
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete my highlight (its stories stay in my archive)."""
    account = await require_account(request, "write:statuses")
    await highlights.delete(request.app[NODE], account, request.match_info["id"])
    return json_response({})


@routes.get("/api/v1/accounts/{id}/highlights")
@endpoint(returns=list)
async def of_account(request: web.Request) -> web.Response:
    """An account's highlights; for a remote account, read from its server's public collection."""
    viewer = await optional_account(request)
    node = request.app[NODE]
    target = await accounts.get_account(request.match_info["id"])
    if not target.local:
        return json_response(await federated.remote_highlights(node, target))
    return json_response(await highlight_entities(node, await highlights.of_account(viewer, target), viewer))
