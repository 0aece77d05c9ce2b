"""/settings/account: email and password; /settings/sessions: the browsers signed in and the apps
authorized, each revocable; /settings/delete: deleting the account. Every form needs the CSRF token, and
a refused change shows the form again with why, nothing changed."""

from __future__ import annotations

from aiohttp import web

from ..api.auth import SESSION_COOKIE
from ..api.keys import NODE
from ..errors import DomainError
from ..i18n import gettext
from ..models import User, WebSession
from ..notify.dispatcher import mail_enabled
from ..services import account_deletion, account_security, two_factor
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()


async def _signed_in(request: web.Request) -> tuple[WebSession, User]:
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    return session, session.user


async def _account_form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    _, user = await _signed_in(request)
    context.setdefault("error", None)
    context.setdefault("saved", request.query.get("saved"))
    return await page(
        request,
        "settings_account.html",
        http_status=http_status,
        user=user,
        mail_on=mail_enabled(request.app[NODE]),
        two_factor_on=two_factor.enabled(user),
        **context,
    )


@routes.get("/settings/account")
async def account_page(request: web.Request) -> web.Response:
    """Email address and password."""
    return await _account_form(request)


@routes.post("/settings/account/email")
async def change_email(request: web.Request) -> web.StreamResponse:
    """A new email address (current password required); with mail on it waits for the mailed link."""
    form = await check_csrf(request)
    _, user = await _signed_in(request)
    node = request.app[NODE]
    try:
        waits = await account_security.change_email(
            node,
            user,
            str(form.get("current_password", "")),
            str(form.get("email", "")),
            confirm_by_mail=mail_enabled(node),
        )
    except DomainError as exc:
        return await _account_form(
            request,
            http_status=exc.status,
            error=exc.message,
            saved=None,
            email_typed=str(form.get("email", ""))[:254],
        )
    return redirect("/settings/account?saved=" + ("email-mailed" if waits else "email"))


@routes.post("/settings/account/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    """A new password (current one required); every other session and app is signed out."""
    form = await check_csrf(request)
    session, user = await _signed_in(request)
    try:
        await account_security.change_password(
            request.app[NODE],
            user,
            str(form.get("current_password", "")),
            str(form.get("password", "")),
            str(form.get("password_confirmation", "")),
            session,
        )
    except DomainError as exc:
        return await _account_form(request, http_status=exc.status, error=exc.message, saved=None)
    return redirect("/settings/account?saved=password")


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Firefox on Android": enough to tell one's own browsers apart, without a user-agent database."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (user_agent[:60] if user_agent else gettext("Unknown browser"))


@routes.get("/settings/sessions")
async def sessions_page(request: web.Request) -> web.Response:
    """Browsers signed in (device, address, last used) and apps authorized, each with a revoke button."""
    session, user = await _signed_in(request)
    return await page(
        request,
        "settings_sessions.html",
        sessions=[(s, device_label(s.user_agent)) for s in await account_security.sessions_of(user)],
        this_session=session.id,
        apps=await account_security.authorized_apps(user),
        saved=request.query.get("saved"),
    )


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


@routes.post("/settings/sessions/{id}/revoke")
async def revoke_session(request: web.Request) -> web.StreamResponse:
    """Sign out one browser (this one too, if that is the one chosen)."""
    await check_csrf(request)
    session, user = await _signed_in(request)
    target = _id(request)
    await account_security.revoke_session(user, target)
    if target == session.id:
        response = redirect("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response
    return redirect("/settings/sessions?saved=session")


@routes.post("/settings/apps/{id}/revoke")
async def revoke_app(request: web.Request) -> web.StreamResponse:
    """Take away an app's access: all its tokens for this account end."""
    await check_csrf(request)
    _, user = await _signed_in(request)
    await account_security.revoke_app(request.app[NODE], user, _id(request))
    return redirect("/settings/sessions?saved=app")


@routes.get("/settings/delete")
async def delete_page(request: web.Request) -> web.Response:
    """What deleting the account does, and the form (password required)."""
    await _signed_in(request)
    return await page(request, "settings_delete.html", error=None)


@routes.post("/settings/delete")
async def delete_account(request: web.Request) -> web.StreamResponse:
    """Delete the account here and on every server that knows it; the browser is signed out."""
    form = await check_csrf(request)
    _, user = await _signed_in(request)
    if form.get("confirm") != "yes":
        return await page(
            request,
            "settings_delete.html",
            http_status=422,
            error=gettext("Tick the box to say you understand this cannot be undone"),
        )
    try:
        await account_deletion.delete_own_account(
            request.app[NODE], user, str(form.get("current_password", ""))
        )
    except DomainError as exc:
        return await page(request, "settings_delete.html", http_status=exc.status, error=exc.message)
    response = redirect("/?deleted=1")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
