"""/settings/two-factor: turning TOTP sign-in on (scan, confirm with a code, note the recovery codes shown
once) and off (with a code)."""

from __future__ import annotations

from aiohttp import web

from ..api.keys import NODE
from ..errors import DomainError
from ..i18n import gettext
from ..services import two_factor
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()


async def _user(request: web.Request):  # type: ignore[no-untyped-def]
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    return session.user


async def _show(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    user = await _user(request)
    setup = None
    if not two_factor.enabled(user) and user.otp_secret:  # set-up started: show what to scan
        setup = await two_factor.begin(request.app[NODE], user)
    context.setdefault("error", None)
    return await page(
        request,
        "settings_two_factor.html",
        http_status=http_status,
        enabled=two_factor.enabled(user),
        setup=setup,
        codes_left=two_factor.recovery_codes_left(user),
        saved=request.query.get("saved"),
        recovery_codes=None,
        **context,
    )


@routes.get("/settings/two-factor")
async def two_factor_page(request: web.Request) -> web.Response:
    """Whether two-factor sign-in is on; the QR code to scan while it is being set up."""
    return await _show(request)


@routes.post("/settings/two-factor/setup")
async def start(request: web.Request) -> web.StreamResponse:
    """Make the secret to scan (kept pending until a code confirms it)."""
    await check_csrf(request)
    user = await _user(request)
    try:
        await two_factor.begin(request.app[NODE], user)
    except DomainError as exc:
        return await _show(request, http_status=exc.status, error=exc.message)
    return redirect("/settings/two-factor")


@routes.post("/settings/two-factor/cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    """Drop a set-up that was not confirmed."""
    await check_csrf(request)
    user = await _user(request)
    if not two_factor.enabled(user):
        await two_factor.turn_off(user)
    return redirect("/settings/two-factor")


@routes.post("/settings/two-factor/confirm")
async def confirm(request: web.Request) -> web.StreamResponse:
    """The first code from the app turns it on; the recovery codes are shown on this answer only."""
    form = await check_csrf(request)
    user = await _user(request)
    node = request.app[NODE]
    try:
        codes = await two_factor.confirm(node, user, str(form.get("code", "")))
    except DomainError as exc:
        return await _show(request, http_status=exc.status, error=exc.message)
    return await _codes_page(request, codes, gettext("Two-factor sign-in is on."))


@routes.post("/settings/two-factor/recovery-codes")
async def new_recovery_codes(request: web.Request) -> web.StreamResponse:
    """Ten new recovery codes (a current code from the app required); the old ones stop working."""
    form = await check_csrf(request)
    user = await _user(request)
    try:
        codes = await two_factor.regenerate_recovery_codes(request.app[NODE], user, str(form.get("code", "")))
    except DomainError as exc:
        return await _show(request, http_status=exc.status, error=exc.message)
    return await _codes_page(request, codes, gettext("New recovery codes: the old ones no longer work."))


async def _codes_page(request: web.Request, codes: list[str], notice: str) -> web.Response:
    response = await page(
        request,
        "settings_two_factor.html",
        enabled=True,
        setup=None,
        codes_left=len(codes),
        saved=None,
        notice=notice,
        recovery_codes=codes,
        error=None,
    )
    response.headers["Cache-Control"] = "no-store"  # the codes must not be kept in the browser's cache
    return response


@routes.post("/settings/two-factor/disable")
async def disable(request: web.Request) -> web.StreamResponse:
    """Turn it off, proven with a code from the app or a recovery code."""
    form = await check_csrf(request)
    user = await _user(request)
    try:
        await two_factor.disable(request.app[NODE], user, str(form.get("code", "")))
    except DomainError as exc:
        return await _show(request, http_status=exc.status, error=exc.message)
    return redirect("/settings/two-factor?saved=off")
