"""Who is looking at a page, CSRF for every form, and turning a template into a response.

Signed in, a form's token is the session's csrf_token; signed out (the sign-in and sign-up forms), it is
a random pre-session cookie echoed in the form (double submit). A POST whose token does not match is 403
before anything is written.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from ..api.auth import PRE_SESSION_COOKIE, SESSION_COOKIE
from ..api.entities.accounts import account_entity
from ..api.keys import NODE
from ..api.params import read_form
from ..errors import Forbidden
from ..i18n import gettext
from ..models import Account, WebSession
from ..services import auth, notifications
from .themes import THEME

SESSION_KEY = web.RequestKey("entativa.web_session", object)
_NEW_CSRF = web.RequestKey("entativa.new_csrf", str)
MESSAGES_ENABLED = web.AppKey("messages_enabled", bool)  # set by setup(): the e2ee plugin is on


async def current_session(request: web.Request) -> WebSession | None:
    if SESSION_KEY not in request:
        cookie = request.cookies.get(SESSION_COOKIE)
        request[SESSION_KEY] = await auth.session_for_cookie(cookie) if cookie else None
    return request[SESSION_KEY]


async def viewer(request: web.Request) -> Account | None:
    """The signed-in account, or None."""
    session = await current_session(request)
    return session.user.account if session else None


async def require_viewer(request: web.Request) -> Account:
    """The signed-in account; otherwise off to the sign-in page and back here afterwards."""
    account = await viewer(request)
    if account is None:
        raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
    return account


async def csrf_token(request: web.Request) -> str:
    session = await current_session(request)
    if session is not None:
        return session.csrf_token
    token = request.cookies.get(PRE_SESSION_COOKIE) or request.get(_NEW_CSRF)
    if not token:
        token = request[_NEW_CSRF] = secrets.token_urlsafe(24)
    return token


async def check_csrf(request: web.Request) -> dict[str, Any]:
    """The posted form, once its csrf_token matches; 403 otherwise."""
    form = await read_form(request)
    sent = form.get("csrf_token")
    session = await current_session(request)
    expected = session.csrf_token if session else request.cookies.get(PRE_SESSION_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden(gettext("This form has expired or did not come from this site; reload the page and try again"))
    return dict(form)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths, so ?next= cannot send someone elsewhere after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


async def page(request: web.Request, template: str, http_status: int = 200, **context: Any) -> web.Response:
    """Render a theme template with what every page needs: the node, the viewer, the CSRF token."""
    node = request.app[NODE]
    session = await current_session(request)
    account = session.user.account if session else None
    base = {
        "node": node.config.node,
        "base_url": node.base_url,
        "me": account,
        "csrf_token": await csrf_token(request),
        "me_entity": account_entity(node, account) if account else None,
        "unread_notifications": await notifications.unread_groups_count(account) if account else 0,
        "default_visibility": session.user.default_visibility if session else "public",
        "is_admin": bool(session and session.user.admin),
        "default_language": session.user.locale if session else "en",
        "request_path": request.path,
        "request_path_qs": request.path_qs,
        "pages": request.app[THEME].pages,
        "messages_enabled": request.app.get(MESSAGES_ENABLED, False),
    }
    body = request.app[THEME].render(template, {**base, **context})  # in the language the middleware chose
    response = web.Response(text=body, status=http_status, content_type="text/html")
    response.headers["Vary"] = "Accept-Language, Cookie"  # the same path reads differently per language
    set_pre_session_cookie(request, response)
    response.headers["X-Frame-Options"] = "DENY"  # the consent page must not be framed (clickjacking)
    return response


def set_pre_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    if token := request.get(_NEW_CSRF):
        response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/")


def redirect(location: str) -> web.Response:
    """A 303 See Other, as a response (so cookies can be set on it)."""
    return web.Response(status=303, headers={"Location": location})


def back(form: dict[str, Any] | None = None, default: str = "/") -> web.Response:
    """Redirect to the form's `back` field (a same-site path) or the default: how no-JS forms return."""
    target = (form or {}).get("back")
    return redirect(safe_next(target if isinstance(target, str) else None, default))
