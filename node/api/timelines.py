"""Timelines: home, public, hashtag, an account's statuses, bookmarks and favourites, all with Mastodon's
pagination (max_id / since_id / min_id, Link header)."""

from __future__ import annotations

from aiohttp import web

from ..models import Account, Status
from ..services import timelines
from .auth import optional_account, require_account
from .endpoint import PAGE, endpoint
from .entities.filters import filtered
from .entities.statuses import status_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()


async def _page(request: web.Request, viewer: Account | None, rows: list[Status], keys: list[int],
                context: str | None = None) -> web.Response:
    """The page as `context` shows it (the viewer's filters for it applied; none for saved statuses)."""
    body = await status_entities(request.app[NODE], rows, viewer)
    if context is not None:
        body = await filtered(request.app[NODE], viewer, context, body)
    return paged_response(request, body, keys)


def _where(params: Params) -> dict[str, bool]:
    return {"local": params.bool("local"), "remote": params.bool("remote"), "only_media": params.bool("only_media")}


@routes.get("/api/v1/timelines/home")
@endpoint(params=PAGE, returns=list)
async def home(request: web.Request) -> web.Response:
    """The caller's home timeline: own statuses and those of followed accounts (paginated)."""
    viewer = await require_account(request, "read:statuses")
    rows, keys = await timelines.home(viewer, requested_page(await read_params(request)))
    return await _page(request, viewer, rows, keys, "home")


@routes.get("/api/v1/timelines/public")
@endpoint(params={**PAGE, "local": bool, "remote": bool, "only_media": bool}, returns=list)
async def public(request: web.Request) -> web.Response:
    """Public statuses, optionally only local, only remote or only with media (paginated)."""
    viewer = await optional_account(request)
    params = await read_params(request)
    rows, keys = await timelines.public(viewer, requested_page(params), **_where(params))
    return await _page(request, viewer, rows, keys, "public")


@routes.get("/api/v1/timelines/tag/{hashtag}")
@endpoint(params={**PAGE, "local": bool, "remote": bool, "only_media": bool, "any": [str], "all": [str], "none": [str]}, returns=list)
async def hashtag(request: web.Request) -> web.Response:
    """Public statuses with a hashtag, with any[], all[] and none[] refinements (paginated)."""
    viewer = await optional_account(request)
    params = await read_params(request)
    rows, keys = await timelines.hashtag(
        viewer, request.match_info["hashtag"], requested_page(params), any_of=[str(t) for t in params.list("any")],
        all_of=[str(t) for t in params.list("all")], none_of=[str(t) for t in params.list("none")], **_where(params))
    return await _page(request, viewer, rows, keys, "public")


@routes.get("/api/v1/accounts/{id}/statuses")
@endpoint(params={**PAGE, "only_media": bool, "exclude_replies": bool, "exclude_reblogs": bool, "pinned": bool, "tagged": str}, returns=list)
async def account_statuses(request: web.Request) -> web.Response:
    """An account's statuses as the caller may see them, with profile filters (paginated)."""
    viewer = await optional_account(request)
    params = await read_params(request)
    rows, keys = await timelines.account_statuses(
        viewer, request.match_info["id"], requested_page(params), only_media=params.bool("only_media"),
        exclude_replies=params.bool("exclude_replies"), exclude_reblogs=params.bool("exclude_reblogs"),
        pinned=params.bool("pinned"), tagged=params.str("tagged") or None)
    return await _page(request, viewer, rows, keys, "account")


@routes.get("/api/v1/bookmarks")
@endpoint(params=PAGE, returns=list)
async def bookmarks(request: web.Request) -> web.Response:
    """The caller's bookmarked statuses, newest bookmark first (paginated)."""
    viewer = await require_account(request, "read:bookmarks")
    rows, keys = await timelines.bookmarks(viewer, requested_page(await read_params(request)))
    return await _page(request, viewer, rows, keys)


@routes.get("/api/v1/favourites")
@endpoint(params=PAGE, returns=list)
async def favourites(request: web.Request) -> web.Response:
    """The caller's favourited statuses, newest favourite first (paginated)."""
    viewer = await require_account(request, "read:favourites")
    rows, keys = await timelines.favourites(viewer, requested_page(await read_params(request)))
    return await _page(request, viewer, rows, keys)
