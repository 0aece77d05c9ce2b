"""The pages links in mails open: one-click unsubscribe (RFC 8058: mail clients POST it directly), email
confirmation after sign-up, and the forgotten-password flow."""

from __future__ import annotations

from aiohttp import web

from ..api.keys import NODE
from ..api.params import read_form
from ..errors import DomainError
from ..i18n import gettext
from ..notify import account_mail, links
from ..notify.state import of as channels_of
from .session import check_csrf, page, redirect

routes = web.RouteTableDef()
_KIND_NAMES = {"all": "all notification mails", "digest": "the email digest"}


def _what(kind: str) -> str:
    return _KIND_NAMES.get(kind, f"mails about {kind.replace('_', ' ')} notifications")


@routes.get("/unsubscribe")
async def unsubscribe_form(request: web.Request) -> web.Response:
    """One button; a GET never unsubscribes, so link scanners in mail systems cannot do it by accident."""
    token = request.query.get("token", "")
    try:
        claims_kind = await _peek(request, token)
    except DomainError as exc:
        return await page(
            request, "unsubscribe.html", http_status=exc.status, error=exc.message, token="", done=False
        )
    return await page(
        request, "unsubscribe.html", token=token, what=_what(claims_kind), error=None, done=False
    )


async def _peek(request: web.Request, token: str) -> str:
    return str(links.verify(channels_of(request.app[NODE]).link_secret, "unsubscribe", token).get("k"))


@routes.post("/unsubscribe")
async def unsubscribe(request: web.Request) -> web.Response:
    """Unsubscribe: the signed token is the whole authority (mail clients send no cookies and no CSRF token)."""
    form = await read_form(request)
    token = request.query.get("token") or str(form.get("token", ""))
    try:
        kind = await account_mail.unsubscribe(request.app[NODE], token)
    except DomainError as exc:
        return await page(
            request, "unsubscribe.html", http_status=exc.status, error=exc.message, token="", done=False
        )
    return await page(request, "unsubscribe.html", token="", what=_what(kind), error=None, done=True)


@routes.get("/auth/confirm")
async def confirm(request: web.Request) -> web.Response:
    """Follow the sign-up mail's link: the address is confirmed and the account can sign in."""
    try:
        user = await account_mail.confirm(request.app[NODE], request.query.get("token", ""))
    except DomainError as exc:
        return await page(
            request, "confirm_email.html", http_status=exc.status, error=exc.message, username=""
        )
    return await page(request, "confirm_email.html", error=None, username=user.account.username)


@routes.get("/auth/password")
async def forgot_form(request: web.Request) -> web.Response:
    """Ask for a reset link by email address."""
    return await page(request, "password_forgot.html", sent=False, error=None, email="")


@routes.post("/auth/password")
async def forgot(request: web.Request) -> web.Response:
    form = await check_csrf(request)
    email = str(form.get("email", "")).strip()
    if "@" not in email:
        return await page(
            request,
            "password_forgot.html",
            http_status=422,
            sent=False,
            email=email,
            error=gettext("Enter the email address you signed up with."),
        )
    try:
        await account_mail.request_reset(request.app[NODE], email)
    except DomainError as exc:
        return await page(
            request,
            "password_forgot.html",
            http_status=exc.status,
            sent=False,
            email=email,
            error=exc.message,
        )
    return await page(request, "password_forgot.html", sent=True, error=None, email=email)


@routes.get("/auth/reset")
async def reset_form(request: web.Request) -> web.Response:
    """Choose a new password (the link's token rides along in the form)."""
    token = request.query.get("token", "")
    try:
        user = await account_mail.user_for_reset(request.app[NODE], token)
    except DomainError as exc:
        return await page(
            request, "password_reset.html", http_status=exc.status, error=exc.message, token="", username=""
        )
    return await page(request, "password_reset.html", error=None, token=token, username=user.account.username)


@routes.post("/auth/reset")
async def reset(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    token = str(form.get("token", ""))
    password = str(form.get("password", ""))
    if password != str(form.get("password_confirmation", password)):
        return await page(
            request,
            "password_reset.html",
            http_status=422,
            error=gettext("The two passwords differ."),
            token=token,
            username="",
        )
    try:
        await account_mail.reset(request.app[NODE], token, password)
    except DomainError as exc:
        return await page(
            request,
            "password_reset.html",
            http_status=exc.status,
            error=exc.message,
            token=token,
            username="",
        )
    return redirect("/login?reset=1")
