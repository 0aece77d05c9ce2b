"""/api/v2/notifications: notifications grouped as Mastodon 4.3 serves them (pages of groups, one group, its
accounts, dismissing a group, the unread count in groups)."""

from __future__ import annotations

from aiohttp import web

from ..errors import BadRequest
from ..services import notification_groups, notifications
from .auth import require_account
from .endpoint import PAGE, endpoint
from .entities.accounts import account_entity
from .entities.notifications import grouped_entities
from .keys import NODE
from .notifications import listing_filters
from .pagination import link_header, paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()
BASE = "/api/v2/notifications"
EXPAND = ("full", "partial_avatars")


def _grouped_types(params: Params) -> list[str] | None:
    """Which types may group (all grouping types when not given)."""
    given = [str(t) for t in params.list("grouped_types")]
    return given or None


@routes.get(BASE)
@endpoint(params={**PAGE, "expand_accounts": str, "account_id": int, "include_filtered": bool, "types": [str], "exclude_types": [str], "grouped_types": [str]})
async def listing(request: web.Request) -> web.Response:
    """The caller's notifications in groups (grouped_types[], types[], exclude_types[], account_id,
    expand_accounts full|partial_avatars, include_filtered); paginated by group with Link headers."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    expand = params.str("expand_accounts", "full") or "full"
    if expand not in EXPAND:
        raise BadRequest(
            f"Invalid value for 'expand_accounts': '{expand}', allowed values are 'full' and "
            "'partial_avatars'"
        )
    page = requested_page(params, default=40, most=80)
    groups = await notification_groups.group_page(
        account, page, listing_filters(params), _grouped_types(params)
    )
    body = await grouped_entities(request.app[NODE], groups, account, expand_accounts=expand)
    response = web.json_response(body)
    if (link := link_header(request, [g.notification.id for g in groups])) is not None:
        response.headers["Link"] = link
    return response


@routes.get(BASE + "/unread_count")
@endpoint(params={"limit": int, "account_id": int, "include_filtered": bool, "types": [str], "exclude_types": [str], "grouped_types": [str]})
async def unread_count(request: web.Request) -> web.Response:
    """How many groups have notifications after the notifications read marker (limit, at most 1000)."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    limit = params.int("limit", 100, low=1, high=1000) or 100
    marker = await notifications.read_marker(account)
    count = await notification_groups.unread_groups(
        account,
        marker.last_read_id if marker else None,
        limit,
        listing_filters(params),
        _grouped_types(params),
    )
    return web.json_response({"count": count})


@routes.get(BASE + "/{group_key}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One group, by its key, in the same de-duplicated shape as the listing."""
    account = await require_account(request, "read:notifications")
    group = await notification_groups.one_group(account, request.match_info["group_key"])
    return web.json_response(await grouped_entities(request.app[NODE], [group], account, paginated=False))


@routes.post(BASE + "/{group_key}/dismiss")
@endpoint()
async def dismiss(request: web.Request) -> web.Response:
    """Dismiss every notification of one group."""
    account = await require_account(request, "write:notifications")
    await notification_groups.dismiss(account, request.match_info["group_key"])
    return web.json_response({})


@routes.get(BASE + "/{group_key}/accounts")
@endpoint(params=PAGE, returns=list)
async def accounts(request: web.Request) -> web.Response:
    """The accounts behind a group's notifications, newest first (paginated by notification)."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    rows = await notification_groups.keyed(
        account, request.match_info["group_key"], page=requested_page(params, default=40, most=80)
    )
    people = await notification_groups.senders(rows)
    node = request.app[NODE]
    return paged_response(
        request,
        [account_entity(node, people[n.from_account_id]) for n in rows if n.from_account_id in people],
        [n.id for n in rows],
    )
