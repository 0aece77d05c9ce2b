"""Follows, follow requests, blocks and mutes over the Mastodon API, and the lists of each."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from tortoise.queryset import QuerySet

from ..models import Account, row_id
from ..services import accounts as account_service
from ..services import relationships
from .auth import optional_account, require_account
from .endpoint import ID, PAGE, endpoint
from .entities.accounts import account_entity, relationship_entities
from .entities.common import iso
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()


async def _relationship(viewer: Account, target_id: int) -> web.Response:
    return web.json_response((await relationship_entities(viewer, [target_id]))[0])


async def _paged_accounts(request: web.Request, rows: QuerySet, side: str, *, default: int = 40,
                          most: int = 80, extra: Any = None) -> web.Response:
    """A page of accounts listed by relationship rows, paged on the row ids (as Mastodon's Link headers)."""
    page = requested_page(await read_params(request), default=default, most=most)
    found = page.arrange(await page.filter(rows))
    node = request.app[NODE]
    body = []
    for row in found:
        entity = account_entity(node, getattr(row, side))
        if extra is not None:
            entity.update(extra(row))
        body.append(entity)
    return paged_response(request, body, [row.id for row in found])


@routes.post("/api/v1/accounts/{id}/follow")
@endpoint(params={"reblogs": bool, "notify": bool, "languages": [str]})
async def follow(request: web.Request) -> web.Response:
    """Follow an account (a FollowRequest if it is locked or remote); options reblogs, notify."""
    me = await require_account(request, "write:follows")
    target = await account_service.get_account(request.match_info["id"])
    params = await read_params(request)
    reblogs = params.bool("reblogs") if "reblogs" in params else None
    notify = params.bool("notify") if "notify" in params else None
    await relationships.follow(request.app[NODE], me, target, reblogs=reblogs, notify=notify)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/unfollow")
@endpoint()
async def unfollow(request: web.Request) -> web.Response:
    """Stop following an account, or withdraw a pending follow request."""
    me = await require_account(request, "write:follows")
    target = await account_service.get_account(request.match_info["id"])
    await relationships.unfollow(request.app[NODE], me, target)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/remove_from_followers")
@endpoint()
async def remove_from_followers(request: web.Request) -> web.Response:
    """Make an account stop following the caller."""
    me = await require_account(request, "write:follows")
    follower = await account_service.get_account(request.match_info["id"])
    await relationships.remove_follower(request.app[NODE], me, follower)
    return await _relationship(me, follower.id)


@routes.post("/api/v1/accounts/{id}/block")
@endpoint()
async def block(request: web.Request) -> web.Response:
    """Block an account: follows and follow requests both ways end."""
    me = await require_account(request, "write:blocks")
    target = await account_service.get_account(request.match_info["id"])
    await relationships.block(request.app[NODE], me, target)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/unblock")
@endpoint()
async def unblock(request: web.Request) -> web.Response:
    """Unblock an account."""
    me = await require_account(request, "write:blocks")
    target = await account_service.get_account(request.match_info["id"])
    await relationships.unblock(request.app[NODE], me, target)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/mute")
@endpoint(params={"notifications": bool, "duration": int})
async def mute(request: web.Request) -> web.Response:
    """Mute an account, and by default its notifications; duration in seconds (0 = forever)."""
    me = await require_account(request, "write:mutes")
    target = await account_service.get_account(request.match_info["id"])
    params = await read_params(request)
    await relationships.mute(me, target, notifications=params.bool("notifications", True),
                             duration=params.int("duration", 0, low=0) or 0)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/unmute")
@endpoint()
async def unmute(request: web.Request) -> web.Response:
    """Unmute an account."""
    me = await require_account(request, "write:mutes")
    target = await account_service.get_account(request.match_info["id"])
    await relationships.unmute(me, target)
    return await _relationship(me, target.id)


@routes.get("/api/v1/accounts/relationships")
@endpoint(params={"id": [ID]}, returns=list)
async def relationships_of(request: web.Request) -> web.Response:
    """The caller's Relationship with each account in id[]."""
    me = await require_account(request, "read:follows")
    params = await read_params(request)
    ids = params.ids("id")[:100]
    return web.json_response(await relationship_entities(me, ids))


def _hidden(account: Account, viewer: Account | None) -> bool:
    """Its owner hid the lists (hide_collections): others get an empty list, as from Mastodon."""
    return account.hide_collections and (viewer is None or viewer.id != account.id)


@routes.get("/api/v1/accounts/{id}/followers")
@endpoint(params=PAGE, returns=list)
async def followers(request: web.Request) -> web.Response:
    """Accounts following this account, newest follow first (Link header pagination)."""
    viewer = await optional_account(request)  # a bad token is still a 401
    account = await account_service.get_account(request.match_info["id"])
    if _hidden(account, viewer):
        return web.json_response([])
    return await _paged_accounts(request, relationships.followers_of(account), "account")


@routes.get("/api/v1/accounts/{id}/following")
@endpoint(params=PAGE, returns=list)
async def following(request: web.Request) -> web.Response:
    """Accounts this account follows, newest follow first (Link header pagination)."""
    viewer = await optional_account(request)
    account = await account_service.get_account(request.match_info["id"])
    if _hidden(account, viewer):
        return web.json_response([])
    return await _paged_accounts(request, relationships.following_of(account), "target_account")


@routes.get("/api/v1/follow_requests")
@endpoint(params=PAGE, returns=list)
async def follow_requests(request: web.Request) -> web.Response:
    """Accounts asking to follow the caller (Link header pagination)."""
    me = await require_account(request, "read:follows")
    return await _paged_accounts(request, relationships.requests_to(me), "account")


@routes.post("/api/v1/follow_requests/{id}/authorize")
@endpoint()
async def authorize(request: web.Request) -> web.Response:
    """Accept a follow request from the account with this id."""
    me = await require_account(request, "write:follows")
    await relationships.authorize_request(request.app[NODE], me, request.match_info["id"])
    return await _relationship(me, row_id(request.match_info["id"]))


@routes.post("/api/v1/follow_requests/{id}/reject")
@endpoint()
async def reject(request: web.Request) -> web.Response:
    """Reject a follow request from the account with this id."""
    me = await require_account(request, "write:follows")
    await relationships.reject_request(request.app[NODE], me, request.match_info["id"])
    return await _relationship(me, row_id(request.match_info["id"]))


@routes.get("/api/v1/blocks")
@endpoint(params=PAGE, returns=list)
async def blocks(request: web.Request) -> web.Response:
    """Accounts the caller blocks (Link header pagination)."""
    me = await require_account(request, "read:blocks")
    return await _paged_accounts(request, relationships.blocks_of(me), "target_account")


@routes.get("/api/v1/mutes")
@endpoint(params=PAGE, returns=list)
async def mutes(request: web.Request) -> web.Response:
    """Accounts the caller mutes, with mute_expires_at (Link header pagination)."""
    me = await require_account(request, "read:mutes")
    return await _paged_accounts(request, relationships.mutes_of(me), "target_account",
                                 extra=lambda row: {"mute_expires_at": iso(row.expires_at)})
