"""Mastodon 4.3's notification policy (/api/v1 and /api/v2/notifications/policy) and the notification requests
its filter fills (/api/v1/notifications/requests: list, one, accept, dismiss, in bulk, merged)."""

from __future__ import annotations

from aiohttp import web

from ..errors import ValidationFailed
from ..services import notification_policy as policy
from .auth import require_account
from .endpoint import ID, PAGE, endpoint
from .entities.notifications import policy_entity, policy_v1_entity, request_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
REQUESTS = "/api/v1/notifications/requests"


@routes.get("/api/v2/notifications/policy")
@endpoint()
async def show_policy(request: web.Request) -> web.Response:
    """The caller's notification policy: for_not_following, for_not_followers, for_new_accounts,
    for_private_mentions, for_limited_accounts (each accept, filter or drop) and a summary."""
    account = await require_account(request, "read:notifications")
    return web.json_response(policy_entity(await policy.policy_of(account), await policy.summary(account)))


@routes.route("PATCH", "/api/v2/notifications/policy")
@routes.put("/api/v2/notifications/policy")
@endpoint(params={name: ("accept", "filter", "drop") for name in policy.FIELDS})
async def update_policy(request: web.Request) -> web.Response:
    """Change some of the policy's fields (each accept, filter or drop)."""
    account = await require_account(request, "write:notifications")
    params = await read_params(request)
    changes = {}
    for name in policy.FIELDS:
        value = params.str(name)
        if value is not None:
            changes[name] = value
    updated = await policy.update_policy(account, changes)
    return web.json_response(policy_entity(updated, await policy.summary(account)))


@routes.get("/api/v1/notifications/policy")
@endpoint()
async def show_policy_v1(request: web.Request) -> web.Response:
    """The policy in the v1 shape: filter_not_following, filter_not_followers, filter_new_accounts,
    filter_private_mentions (booleans) and a summary."""
    account = await require_account(request, "read:notifications")
    return web.json_response(policy_v1_entity(await policy.policy_of(account), await policy.summary(account)))


@routes.route("PATCH", "/api/v1/notifications/policy")
@routes.put("/api/v1/notifications/policy")
@endpoint(params=dict.fromkeys(policy.V1_FIELDS, bool))
async def update_policy_v1(request: web.Request) -> web.Response:
    """Change the policy with v1's booleans (true filters, false accepts)."""
    account = await require_account(request, "write:notifications")
    params = await read_params(request)
    changes = {
        field: "filter" if params.bool(name) else "accept"
        for name, field in policy.V1_FIELDS.items()
        if name in params
    }
    updated = await policy.update_policy(account, changes)
    return web.json_response(policy_v1_entity(updated, await policy.summary(account)))


@routes.get(REQUESTS)
@endpoint(params=PAGE, returns=list)
async def list_requests(request: web.Request) -> web.Response:
    """Pending notification requests, newest first (paginated)."""
    account = await require_account(request, "read:notifications")
    params = await read_params(request)
    rows = await policy.requests_page(account, requested_page(params, default=40, most=80))
    return paged_response(
        request, await request_entities(request.app[NODE], rows, account), [r.id for r in rows]
    )


@routes.get(REQUESTS + "/merged")
@endpoint()
async def merged(request: web.Request) -> web.Response:
    """Whether accepted requests' notifications have joined the others (they join as the accept is answered)."""
    await require_account(request, "read:notifications")
    return web.json_response({"merged": True})


async def _bulk(request: web.Request):  # type: ignore[no-untyped-def]
    account = await require_account(request, "write:notifications")
    params = await read_params(request)
    ids = params.ids("id")
    if not ids:
        raise ValidationFailed("Validation failed: Give id[]")
    return account, await policy.requests_by_ids(account, ids)


@routes.post(REQUESTS + "/accept")
@endpoint(params={"id": [ID]})
async def accept_many(request: web.Request) -> web.Response:
    """Accept several requests (id[])."""
    account, rows = await _bulk(request)
    await policy.accept(request.app[NODE], account, rows)
    return web.json_response({})


@routes.post(REQUESTS + "/dismiss")
@endpoint(params={"id": [ID]})
async def dismiss_many(request: web.Request) -> web.Response:
    """Dismiss several requests (id[])."""
    account, rows = await _bulk(request)
    await policy.dismiss(account, rows)
    return web.json_response({})


@routes.get(REQUESTS + "/{id}")
@endpoint()
async def show_request(request: web.Request) -> web.Response:
    """One notification request."""
    account = await require_account(request, "read:notifications")
    row = await policy.own_request(account, request.match_info["id"])
    return web.json_response((await request_entities(request.app[NODE], [row], account))[0])


@routes.post(REQUESTS + "/{id}/accept")
@endpoint()
async def accept(request: web.Request) -> web.Response:
    """Accept a request: its notifications join the others and the sender is no longer filtered."""
    account = await require_account(request, "write:notifications")
    row = await policy.own_request(account, request.match_info["id"])
    await policy.accept(request.app[NODE], account, [row])
    return web.json_response({})


@routes.post(REQUESTS + "/{id}/dismiss")
@endpoint()
async def dismiss(request: web.Request) -> web.Response:
    """Dismiss a request and the filtered notifications in it."""
    account = await require_account(request, "write:notifications")
    row = await policy.own_request(account, request.match_info["id"])
    await policy.dismiss(account, [row])
    return web.json_response({})
