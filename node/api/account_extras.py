"""Per-account settings and keepings over the Mastodon API: /api/v1/preferences, private notes on accounts,
endorsements (/pin, /unpin, /api/v1/endorsements) and user-level domain blocks (/api/v1/domain_blocks)."""

from __future__ import annotations

from aiohttp import web

from ..models import Account
from ..services import account_extras
from ..services import accounts as account_service
from .auth import require_account, require_user
from .endpoint import PAGE, endpoint, required
from .entities.accounts import account_entity, relationship_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()


async def _relationship(viewer: Account, target_id: int) -> web.Response:
    return web.json_response((await relationship_entities(viewer, [target_id]))[0])


@routes.get("/api/v1/preferences")
@endpoint()
async def preferences(request: web.Request) -> web.Response:
    """The caller's posting and reading preferences (set with update_credentials' source[] and /settings)."""
    user = await require_user(request, "read:accounts")
    return web.json_response(
        {
            "posting:default:visibility": user.default_visibility,
            "posting:default:sensitive": user.default_sensitive,
            "posting:default:language": user.locale or None,
            "reading:expand:media": user.expand_media,
            "reading:expand:spoilers": user.expand_spoilers,
        }
    )


@routes.post("/api/v1/accounts/{id}/note")
@endpoint(params={"comment": str})
async def note(request: web.Request) -> web.Response:
    """Keep a private note (`comment`; empty removes it) on an account; answers the Relationship."""
    me = await require_account(request, "write:accounts")
    target = await account_service.get_account(request.match_info["id"])
    params = await read_params(request)
    await account_extras.set_note(me, target, params.str("comment", "", max_length=account_extras.NOTE_LIMIT))
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/endorse")
@routes.post("/api/v1/accounts/{id}/pin")
@endpoint()
async def pin(request: web.Request) -> web.Response:
    """Endorse (feature on one's profile) an account one follows; answers the Relationship (/pin is the older
    name Mastodon keeps)."""
    me = await require_account(request, "write:accounts")
    target = await account_service.get_account(request.match_info["id"])
    await account_extras.endorse(me, target)
    return await _relationship(me, target.id)


@routes.post("/api/v1/accounts/{id}/unendorse")
@routes.post("/api/v1/accounts/{id}/unpin")
@endpoint()
async def unpin(request: web.Request) -> web.Response:
    """Stop endorsing an account; answers the Relationship."""
    me = await require_account(request, "write:accounts")
    target = await account_service.get_account(request.match_info["id"])
    await account_extras.unendorse(me, target)
    return await _relationship(me, target.id)


@routes.get("/api/v1/endorsements")
@endpoint(params=PAGE, returns=list)
async def endorsements(request: web.Request) -> web.Response:
    """The accounts the caller endorses (paginated: limit 40, at most 80)."""
    me = await require_account(request, "read:accounts")
    rows, keys = await account_extras.endorsed(
        me.id, requested_page(await read_params(request), default=40, most=80)
    )
    node = request.app[NODE]
    return paged_response(request, [account_entity(node, a) for a in rows], keys)


@routes.get("/api/v1/accounts/{id}/endorsements")
@endpoint(params=PAGE, returns=list)
async def account_endorsements(request: web.Request) -> web.Response:
    """The accounts an account endorses (paginated)."""
    account = await account_service.get_account(request.match_info["id"])
    page = requested_page(await read_params(request), default=40, most=80)
    rows, keys = await account_extras.endorsed(account.id, page)
    node = request.app[NODE]
    return paged_response(request, [account_entity(node, a) for a in rows], keys)


@routes.get("/api/v1/domain_blocks")
@endpoint(params=PAGE, returns=list)
async def domain_blocks(request: web.Request) -> web.Response:
    """The servers the caller blocked, as domain names (paginated: limit 100, at most 200)."""
    me = await require_account(request, "read:blocks")
    page = requested_page(await read_params(request), default=100, most=200)
    domains, keys = await account_extras.blocked_domains(me, page)
    return paged_response(request, domains, keys)


@routes.post("/api/v1/domain_blocks")
@endpoint(params={"domain": required(str)})
async def block_domain(request: web.Request) -> web.Response:
    """Block a server (`domain`) for oneself: its posts leave one's timelines, followers there are removed."""
    me = await require_account(request, "write:blocks")
    params = await read_params(request)
    await account_extras.block_domain(request.app[NODE], me, params.str("domain", required=True))
    return web.json_response({})


@routes.delete("/api/v1/domain_blocks")
@endpoint(params={"domain": required(str)})
async def unblock_domain(request: web.Request) -> web.Response:
    """Unblock a server (`domain`)."""
    me = await require_account(request, "write:blocks")
    params = await read_params(request)
    await account_extras.unblock_domain(me, params.str("domain", required=True))
    return web.json_response({})


@routes.get("/api/v2/suggestions")
@endpoint(params={"limit": int}, returns=list)
async def suggestions(request: web.Request) -> web.Response:
    """Accounts to follow, each with its sources (friends_of_friends: followed by people you follow;
    global: popular here); limit 40, at most 80."""
    me = await require_account(request, "read:accounts")
    limit = (await read_params(request)).int("limit", 40, low=1, high=80) or 40
    node = request.app[NODE]
    return web.json_response(
        [
            {
                "source": "global" if why == "global" else "past_interactions",
                "sources": [why],
                "account": account_entity(node, a),
            }
            for a, why in await account_extras.suggestions(me, limit)
        ]
    )


@routes.get("/api/v1/suggestions")
@endpoint(params={"limit": int}, returns=list)
async def suggestions_v1(request: web.Request) -> web.Response:
    """Accounts to follow (v1: the accounts alone)."""
    me = await require_account(request, "read:accounts")
    limit = (await read_params(request)).int("limit", 40, low=1, high=80) or 40
    node = request.app[NODE]
    return web.json_response(
        [account_entity(node, a) for a, _ in await account_extras.suggestions(me, limit)]
    )


@routes.delete("/api/v1/suggestions/{id}")
@endpoint()
async def dismiss_suggestion(request: web.Request) -> web.Response:
    """Do not suggest this account again; answers {}."""
    me = await require_account(request, "read:accounts")
    await account_extras.dismiss_suggestion(me, await account_service.get_account(request.match_info["id"]))
    return web.json_response({})
