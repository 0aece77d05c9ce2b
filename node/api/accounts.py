"""/api/v1/accounts: sign-up, the caller's own profile (verify and update credentials), and reading
accounts by id, acct, or search."""

from __future__ import annotations

from aiohttp import web

from ..errors import Forbidden, Unauthorized, ValidationFailed
from ..services import account_extras, profiles, registrations
from ..services import accounts as account_service
from .auth import current_grant, optional_account, require_user
from .bodies import accepts_upload
from .endpoint import FILE, ID, OBJECT, endpoint, required
from .entities.accounts import account_entity, credential_account_entity, profile_entity
from .keys import NODE
from .params import Params, read_params

routes = web.RouteTableDef()


@routes.post("/api/v1/accounts")
@endpoint(params={"agreement": bool, "username": str, "email": str, "password": str, "locale": str, "reason": str})
async def register(request: web.Request) -> web.Response:
    """Sign up with an app token (client_credentials), as Mastodon's AppSignUpService."""
    grant = await current_grant(request)
    if grant is None:
        raise Unauthorized("The access token is invalid")
    if not grant.allows("write:accounts"):
        raise Forbidden("This action is outside the authorized scopes")
    params = await read_params(request)
    signup = registrations.SignUp(
        username=params.str("username", "", max_length=1000) or "",
        email=params.str("email", "", max_length=1000) or "",
        password=params.str("password", "", max_length=1000) or "",
        agreement=params.bool("agreement"),
        locale=params.str("locale", "en", max_length=64) or "en",
        reason=params.str("reason", "", max_length=10_000) or "", ip=request.remote)
    try:
        issued = await registrations.register(request.app[NODE], grant.app, signup)
    except registrations.RegistrationInvalid as exc:
        return web.json_response(exc.body(), status=422)
    return web.json_response(issued.body())


@routes.get("/api/v1/accounts/verify_credentials")
@endpoint()
async def verify_credentials(request: web.Request) -> web.Response:
    """The caller's own CredentialAccount (with source and role)."""
    user = await require_user(request)
    grant = await current_grant(request)
    if grant is None or not (grant.allows("read:accounts") or grant.allows("profile")):
        raise Forbidden("This action is outside the authorized scopes")
    return web.json_response(await credential_account_entity(request.app[NODE], user.account))


def _fields(params: Params) -> list[dict[str, str]] | None:
    """fields_attributes as Rails clients send it (`[0][name]`), as a JSON array, or as an object."""
    raw = params.raw("fields_attributes")
    if raw is None:
        return None
    if raw == "":
        return []
    if isinstance(raw, dict):
        raw = params.list("fields_attributes")
    if not isinstance(raw, list):
        raise ValidationFailed("Validation failed: fields_attributes must hold name and value pairs")
    return profiles.check_fields(raw)


@routes.patch("/api/v1/accounts/update_credentials")
@accepts_upload(lambda config: 2 * config.storage.max_image_mb)
@endpoint(params={"display_name": str, "note": str, "avatar": FILE, "header": FILE, "locked": bool, "bot": bool,
                  "discoverable": bool, "hide_collections": bool, "fields_attributes": OBJECT,
                  "source": {"privacy": str, "sensitive": bool, "language": str}})
async def update_credentials(request: web.Request) -> web.Response:
    """Update the caller's profile: names, bio, avatar/header, fields, flags, source[privacy]."""
    user = await require_user(request, "write:accounts")
    params = await read_params(request)
    source = params.nested("source") or Params({})
    changes = profiles.ProfileChanges(
        display_name=params.str("display_name", max_length=1000),
        note=params.str("note", max_length=10_000),
        locked=params.bool("locked") if "locked" in params else None,
        bot=params.bool("bot") if "bot" in params else None,
        discoverable=params.bool("discoverable") if "discoverable" in params else None,
        hide_collections=params.bool("hide_collections") if "hide_collections" in params else None,
        fields=_fields(params),
        privacy=source.str("privacy"),
        sensitive=source.bool("sensitive") if "sensitive" in source else None,
        locale=source.str("language") or None,
        avatar=params.file("avatar"),
        header=params.file("header"))
    account = await profiles.update_profile(request.app[NODE], user, changes)
    return web.json_response(await credential_account_entity(request.app[NODE], account))


@routes.get("/api/v1/accounts/lookup")
@endpoint(params={"acct": required(str)})
async def lookup(request: web.Request) -> web.Response:
    """An Account by acct (user or user@domain) without a remote fetch; 404 if unknown."""
    await optional_account(request)  # a bad token is still a 401
    params = await read_params(request)
    account = await account_service.lookup_acct(request.app[NODE], params.str("acct", required=True) or "")
    return web.json_response(await profile_entity(request.app[NODE], account))


@routes.get("/api/v1/accounts/search")
@endpoint(params={"q": required(str), "limit": int, "offset": int, "following": bool}, returns=list)
async def search(request: web.Request) -> web.Response:
    """Accounts whose username or display name starts with q (local and known remote)."""
    user = await require_user(request, "read:accounts")
    params = await read_params(request)
    found = await account_service.search_accounts(
        request.app[NODE], params.str("q", required=True, max_length=500) or "",
        limit=params.int("limit", 40, low=1, high=80) or 40, offset=params.int("offset", 0, low=0) or 0,
        following_of=user.account if params.bool("following") else None)
    return web.json_response([account_entity(request.app[NODE], a) for a in found])


@routes.get("/api/v1/accounts")
@endpoint(params={"id": [ID]}, returns=list)
async def many(request: web.Request) -> web.Response:
    """Accounts by id[] (unknown ids are left out)."""
    await optional_account(request)
    ids = (await read_params(request)).ids("id")[:40]
    return web.json_response([account_entity(request.app[NODE], a)
                              for a in await account_service.accounts_by_ids(ids)])


@routes.get("/api/v1/accounts/familiar_followers")
@endpoint(params={"id": [ID]}, returns=list)
async def familiar_followers(request: web.Request) -> web.Response:
    """For each id[], the accounts the caller follows that also follow it."""
    user = await require_user(request, "read:follows")
    ids = (await read_params(request)).ids("id")[:40]
    found = await account_extras.familiar_followers(user.account, ids)
    node = request.app[NODE]
    return web.json_response([{"id": str(i), "accounts": [account_entity(node, a) for a in found[i]]} for i in found])


@routes.get("/api/v1/accounts/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One Account by id."""
    await optional_account(request)
    account = await account_service.get_account(request.match_info["id"])
    return web.json_response(await profile_entity(request.app[NODE], account))
