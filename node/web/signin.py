"""Signing in and out, and signing up as config.node.registrations allows (closed, approval, open)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from ..api.auth import SESSION_COOKIE
from ..api.keys import NODE
from ..api.ratelimits import client_ip
from ..errors import DomainError, TooManyRequests, Unauthorized
from ..i18n import gettext
from ..notify import account_mail
from ..notify.dispatcher import mail_enabled
from ..services import accounts, auth, registrations, two_factor
from .session import check_csrf, current_session, page, redirect, safe_next

routes = web.RouteTableDef()


def _signed_in(response: web.StreamResponse, secret: str, days: int = auth.SESSION_DAYS) -> web.StreamResponse:
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="Lax", path="/",
                        max_age=days * 86400)
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    """The sign-in form (username or email and password)."""
    target = safe_next(request.query.get("next"))
    # ?switch=1 (the consent page's "not you?", force_login) shows the form even when signed in.
    if await current_session(request) is not None and not request.query.get("switch"):
        raise web.HTTPSeeOther(target)
    return await page(request, "login.html", next=target, login="", error=None,
                      mail_on=mail_enabled(request.app[NODE]), reset_done=request.query.get("reset") == "1")


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password, start a browser session and go on to ?next."""
    form = await check_csrf(request)
    node = request.app[NODE]
    login_name = str(form.get("login", "")).strip()
    target = safe_next(str(form.get("next", "")) or request.query.get("next"))
    try:
        user = await auth.authenticate_password(node, login_name, str(form.get("password", "")),
                                                client_ip=client_ip(request))
    except (Unauthorized, TooManyRequests) as exc:
        response = await page(request, "login.html", http_status=exc.status, next=target, login=login_name,
                              error=exc.message, mail_on=mail_enabled(node))
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if previous := request.cookies.get(SESSION_COOKIE):  # switching accounts: the old session ends here
        await auth.end_session(previous)
    if two_factor.enabled(user):  # the password was right; the cookie waits for the code
        secret, _ = await auth.start_session(user, pending=True, **_device(request))
        response = await page(request, "login_code.html", next=target, error=None)
        return _signed_in(response, secret, days=1)
    secret, _ = await auth.start_session(user, **_device(request))
    return _signed_in(redirect(target), secret)


def _device(request: web.Request) -> dict[str, str]:
    """What the sessions list shows of where a sign-in came from."""
    return {"user_agent": request.headers.get("User-Agent", ""), "ip": client_ip(request) or ""}


@routes.post("/login/code")
async def login_code(request: web.Request) -> web.StreamResponse:
    """The second step: a code from the authenticator app, or a recovery code, finishes the sign-in."""
    form = await check_csrf(request)
    target = safe_next(str(form.get("next", "")))
    pending = await auth.pending_session(request.cookies.get(SESSION_COOKIE, ""))
    if pending is None:  # expired or never started: back to the password
        raise web.HTTPSeeOther("/login?" + urlencode({"next": target}))
    try:
        await two_factor.verify(request.app[NODE], pending.user, str(form.get("code", "")))
    except (Unauthorized, TooManyRequests) as exc:
        response = await page(request, "login_code.html", http_status=exc.status, next=target, error=exc.message)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    await auth.complete_second_factor(pending)
    return _signed_in(redirect(target), request.cookies[SESSION_COOKIE])


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this browser session."""
    await check_csrf(request)
    if cookie := request.cookies.get(SESSION_COOKIE):
        await auth.end_session(cookie)
    response = redirect("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/signup")
async def signup_form(request: web.Request) -> web.StreamResponse:
    """The sign-up form, or why there is none (registrations closed)."""
    if await current_session(request) is not None:
        raise web.HTTPSeeOther("/")
    mode = request.app[NODE].config.node.registrations
    return await page(request, "signup.html", mode=mode, values={}, error=None, waiting=False)


@routes.post("/signup")
async def signup(request: web.Request) -> web.StreamResponse:
    """Create a local account as config.node.registrations allows."""
    form = await check_csrf(request)
    node = request.app[NODE]
    mode = node.config.node.registrations
    values = {k: str(form.get(k, "")).strip() for k in ("username", "email", "display_name")}
    if mode == "closed":
        return await page(request, "signup.html", http_status=403, mode=mode, values=values,
                          error=gettext("This server is not accepting new accounts."), waiting=False)
    try:
        approved = await registrations.admission(node, values["email"], request.remote)
        user = await accounts.create_local_account(
            node, values["username"], values["email"], str(form.get("password", "")),
            approved=approved, display_name=values["display_name"])
        user.sign_up_ip = (request.remote or "")[:45]
        await user.save(update_fields=["sign_up_ip"])
    except accounts.EmailTaken as exc:
        if not mail_enabled(node):  # nothing can prove who owns the address: say it is taken
            return await page(request, "signup.html", http_status=exc.status, mode=mode, values=values,
                              error=exc.message, waiting=False)
        # The page a new address gets; the address's owner is told by mail instead.
        await registrations.taken_address(node, values["email"], str(form.get("password", "")))
        return await page(request, "signup.html", mode=mode, values={}, error=None, waiting=False,
                          confirm_email=values["email"].lower())
    except DomainError as exc:
        return await page(request, "signup.html", http_status=exc.status, mode=mode, values=values,
                          error=exc.message, waiting=False)
    if await account_mail.signed_up(node, user):
        return await page(request, "signup.html", mode=mode, values={}, error=None, waiting=False,
                          confirm_email=user.email)
    if not user.approved:
        return await page(request, "signup.html", mode=mode, values={}, error=None, waiting=True)
    secret, _ = await auth.start_session(user, **_device(request))
    return _signed_in(redirect("/"), secret)
