"""OAuth 2 endpoints a client talks to directly: /oauth/token, /oauth/revoke and the RFC 8414 metadata.

(/oauth/authorize is a page with a sign-in form, served by the web UI.) Errors here take RFC 6749's shape,
{"error": code, "error_description": text}, as Mastodon answers on these paths.
"""

from __future__ import annotations

from aiohttp import web

from ..errors import DomainError, TooManyRequests
from ..models import OAuthApp
from ..services import oauth
from .endpoint import endpoint
from .keys import NODE
from .params import Params, read_params
from .ratelimits import client_ip

routes = web.RouteTableDef()
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(exc: oauth.OAuthError) -> web.Response:
    return web.json_response(exc.body(), status=exc.status, headers=_NO_STORE)


def _client_credentials(request: web.Request, params: Params) -> tuple[str | None, str | None]:
    """HTTP Basic (client_secret_basic) first, else the body (client_secret_post)."""
    header = request.headers.get("Authorization", "")
    if header and (basic := oauth.basic_credentials(header)) is not None:
        return basic
    return params.str("client_id"), params.str("client_secret")


async def _read(request: web.Request) -> Params:
    try:
        return await read_params(request)
    except DomainError as exc:
        raise oauth.OAuthError("invalid_request", exc.message) from None


@routes.post("/oauth/token")
@endpoint(params={"grant_type": str, "client_id": str, "client_secret": str, "code": str, "redirect_uri": str, "code_verifier": str, "username": str, "password": str, "scope": str})
async def token(request: web.Request) -> web.Response:
    """Obtain a token (authorization_code with PKCE, password, client_credentials); RFC 6749 errors."""
    node = request.app[NODE]
    try:
        params = await _read(request)
        app = await oauth.authenticate_client(*_client_credentials(request, params))
        grant_type = params.str("grant_type")
        if grant_type == "authorization_code":
            issued = await oauth.exchange_code(node, app, params.str("code"), params.str("redirect_uri"),
                                               params.str("code_verifier"))
        elif grant_type == "password":
            issued = await oauth.password_grant(node, app, params.str("username"), params.str("password"),
                                                params.str("scope"), client_ip=client_ip(request))
        elif grant_type == "client_credentials":
            issued = await oauth.client_credentials_grant(app, params.str("scope"))
        elif not grant_type:
            raise oauth.OAuthError("invalid_request", "Missing parameter: grant_type")
        else:
            raise oauth.OAuthError("unsupported_grant_type")
    except oauth.OAuthError as exc:
        return _oauth_error(exc)
    except TooManyRequests as exc:  # wrong passwords past the free attempts (services/auth)
        return web.json_response({"error": exc.message}, status=429,
                                 headers={**_NO_STORE, "Retry-After": str(exc.retry_after)})
    except DomainError as exc:  # a malformed parameter (a list where a string belongs...)
        return _oauth_error(oauth.OAuthError("invalid_request", exc.message))
    return web.json_response(issued.body(), headers=_NO_STORE)


@routes.post("/oauth/revoke")
@endpoint(params={"token": str, "client_id": str, "client_secret": str})
async def revoke(request: web.Request) -> web.Response:
    """Revoke a token (RFC 7009): 200 {} also for unknown tokens; another app's token is 403."""
    try:
        params = await _read(request)
        app: OAuthApp | None
        try:
            app = await oauth.authenticate_client(*_client_credentials(request, params))
        except oauth.OAuthError:
            app = None  # as Doorkeeper: an unauthenticated caller may still revoke app-less tokens
        await oauth.revoke(request.app[NODE], app, params.str("token"))
    except oauth.OAuthError as exc:
        return _oauth_error(exc)
    except DomainError as exc:
        return _oauth_error(oauth.OAuthError("invalid_request", exc.message))
    return web.json_response({})


@routes.get("/.well-known/oauth-authorization-server")
@endpoint()
async def metadata(request: web.Request) -> web.Response:
    """RFC 8414 server metadata, as Mastodon 4.3 serves it."""
    base = request.app[NODE].base_url
    return web.json_response({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": list(oauth.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })
