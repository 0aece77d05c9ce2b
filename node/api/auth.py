"""Who is calling: a bearer token (OAuth) or, for the web UI's scripts, the session cookie plus CSRF header."""

from __future__ import annotations

import hmac

from aiohttp import web

from ..errors import Forbidden, Unauthorized
from ..models import Account, SignUpDecoy, User
from ..runtime import Node
from ..services import auth
from .keys import NODE

SESSION_COOKIE = "entativa_session"
PRE_SESSION_COOKIE = "entativa_csrf"  # a signed-out browser's form token (node/web/session.py)
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}
SESSION_SCOPES = frozenset({"read", "write", "follow", "push", "crypto"})
_GRANT = web.RequestKey("grant", object)  # auth.Grant | None, resolved once per request


UNCONFIRMED = "Your login is missing a confirmed e-mail address"


async def token_grant(node: Node, token: str) -> auth.Grant | None:
    """The grant of a bearer token; 403 for a token waiting for its address to be confirmed (mail on), and
    the same 403 for a sign-up decoy (node/services/registrations.py), which must look just like one."""
    grant = await auth.grant_for_token(token)
    if grant is None:
        if await SignUpDecoy.filter(token_hash=auth.digest(token)).exists():
            raise Forbidden(UNCONFIRMED)
        return None
    if grant.user is not None and not grant.user.email_confirmed and node.config.mail.smtp_host:
        raise Forbidden(UNCONFIRMED)
    return grant


async def current_grant(request: web.Request) -> auth.Grant | None:
    if _GRANT in request:
        return request[_GRANT]
    grant = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("The access token is invalid")
        grant = await token_grant(request.app[NODE], token.strip())
        if grant is None:
            raise Unauthorized("The access token is invalid")
    elif (cookie := request.cookies.get(SESSION_COOKIE)) and (session := await auth.session_for_cookie(cookie)):
        if request.method not in _SAFE and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, ""), session.csrf_token):
            raise Forbidden("Missing or wrong CSRF token")
        # "crypto" too: the Messages page's E2EE device is bound to this session (see node/web/messages.py).
        grant = auth.Grant(user=session.user, app=None, scopes=SESSION_SCOPES, via_session=True)
    request[_GRANT] = grant
    return grant


async def require_user(request: web.Request, scope: str | None = None) -> User:
    """The signed-in user, or 401; with `scope`, 403 unless the token grants it."""
    grant = await current_grant(request)
    if grant is None or grant.user is None:
        raise Unauthorized("This method requires an authenticated user")
    if scope is not None and not grant.allows(scope):
        raise Forbidden(f"This action is outside the authorized scopes (needs {scope})")
    if not grant.user.approved:  # signed up while registrations = "approval"; an admin has not said yes yet
        raise Forbidden("Your login is currently pending approval")
    if grant.user.disabled:
        raise Forbidden("Your login is currently disabled")
    if not grant.user.email_confirmed and request.app[NODE].config.mail.smtp_host:
        raise Forbidden(UNCONFIRMED)
    return grant.user


async def require_account(request: web.Request, scope: str | None = None) -> Account:
    return (await require_user(request, scope)).account


def viewer_key(request: web.Request) -> str:
    """A stable name for who is asking, without keeping their secret: a digest of the bearer token, the
    session cookie or a signed-out browser's cookie, else of their address (counting views once each)."""
    credential = (request.headers.get("Authorization") or request.cookies.get(SESSION_COOKIE)
                  or request.cookies.get(PRE_SESSION_COOKIE) or f"address:{request.remote}")
    return auth.digest("viewer:" + credential)


async def optional_account(request: web.Request) -> Account | None:
    grant = await current_grant(request)
    return grant.user.account if grant and grant.user else None
