"""Moving an account (our extension; Mastodon offers it only in its web settings): aliases the new account
names (`alsoKnownAs`) and the move itself, which tells followers' servers with a Move activity."""

from __future__ import annotations

from aiohttp import web

from ..models import Account
from ..services import moves
from .auth import require_account, require_user
from .endpoint import endpoint, required
from .entities.accounts import profile_entity
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()


async def _aliases_response(account: Account) -> web.Response:
    return web.json_response(await moves.aliases_shown(account))


@routes.get("/api/v1/accounts/aliases")
@endpoint(returns=list)
async def aliases(request: web.Request) -> web.Response:
    """The caller's aliases: `[{uri, acct}]`, the other accounts it says it also is (alsoKnownAs)."""
    account = await require_account(request, "read:accounts")
    return await _aliases_response(account)


@routes.post("/api/v1/accounts/aliases")
@endpoint(params={"acct": required(str)})
async def add_alias(request: web.Request) -> web.Response:
    """Add `acct` (user@host, local or remote) as an alias, which lets that account move here; answers the
    aliases. 404 if the account cannot be found, 422 for oneself or beyond 16 aliases."""
    account = await require_account(request, "write:accounts")
    params = await read_params(request)
    other = await moves.find(request.app[NODE], params.str("acct", required=True, max_length=320) or "")
    await moves.add_alias(request.app[NODE], account, other)
    return await _aliases_response(account)


@routes.delete("/api/v1/accounts/aliases")
@endpoint(params={"acct": required(str)})
async def remove_alias(request: web.Request) -> web.Response:
    """Remove the alias `acct` (or its actor uri); answers the aliases. 422 if it is not an alias."""
    account = await require_account(request, "write:accounts")
    params = await read_params(request)
    acct = params.str("acct", required=True, max_length=1024) or ""
    await moves.remove_alias(request.app[NODE], account, acct)
    return await _aliases_response(account)


@routes.post("/api/v1/accounts/move")
@endpoint(params={"acct": required(str), "password": required(str)})
async def move(request: web.Request) -> web.Response:
    """Move the caller's account to `acct`, confirmed with the account's `password`: the target must list
    this account as an alias (checked on a fresh copy). Followers here and on other servers follow the
    target; the profile shows `moved`. Answers the caller's Account. 422 for a wrong password, a target
    without the alias, one that moved itself, or a move within 30 days of the last."""
    user = await require_user(request, "write:accounts")
    params = await read_params(request)
    acct = params.str("acct", required=True, max_length=320) or ""
    password = params.str("password", required=True, max_length=1024) or ""
    node = request.app[NODE]
    await moves.move(node, user, await moves.find(node, acct, fresh=True), password, now=node.clock.now())
    return web.json_response(await profile_entity(node, await Account.get(id=user.account_id)))
