"""The OAuth consent page (GET/POST /oauth/authorize): who is asking, for which scopes, approve or deny.

Validation of the request and the code itself belong to node.services.oauth; this module only asks the
signed-in person and sends the answer back to the app (redirect, or the code shown for the oob URI).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from yarl import URL

from ..api.endpoint import endpoint
from ..errors import DomainError
from ..i18n import N_, gettext
from ..services import oauth
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()
OOB = "urn:ietf:wg:oauth:2.0:oob"
FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
          "code_challenge_method")
SCOPE_WORDS = {
    "read": N_("Read all your account's data"),
    "write": N_("Post, like, share, save and change your profile for you"),
    "follow": N_("Follow, unfollow, block and mute accounts for you"),
    "push": N_("Receive push notifications for you"),
    "profile": N_("Know who you are (your profile only)"),
    "admin:read": N_("Read administrative data on this server"),
    "admin:write": N_("Take moderation actions on this server"),
}


def _describe(scopes: str) -> list[tuple[str, str]]:
    described = []
    for scope in scopes.split():
        top, _, detail = scope.partition(":")
        if scope in SCOPE_WORDS:
            words = gettext(SCOPE_WORDS[scope])
        elif detail:
            whole = gettext(SCOPE_WORDS[top]) if top in SCOPE_WORDS else top
            words = gettext("{scope} (only {detail})").format(scope=whole, detail=detail)
        else:
            words = scope
        described.append((scope, words))
    return described


def _answer(redirect_uri: str, **values: str) -> web.Response:
    target = URL(redirect_uri).update_query({k: v for k, v in values.items() if v})
    return redirect(str(target))


async def _validated(values: dict[str, str]) -> tuple[Any, str]:
    """The app and the normalised scope string, or the service's error for a bad request."""
    app = await oauth.find_app(values["client_id"])
    scopes = oauth.check_authorize_request(app, values["redirect_uri"], values["scope"], values["response_type"],
                                           values["code_challenge"], values["code_challenge_method"])
    return app, scopes


async def _error_page(request: web.Request, exc: DomainError) -> web.Response:
    return await page(request, "error.html", http_status=exc.status, status_code=exc.status, message=exc.message)


@routes.get("/oauth/authorize")
@endpoint(params={**{name: str for name in FIELDS}, "force_login": bool}, ok=(200, 303), returns="text/html")
async def consent(request: web.Request) -> web.StreamResponse:
    """Ask the signed-in person to approve an app (sign in first); Mastodon's authorize page."""
    values = {name: request.query.get(name, "") for name in FIELDS}
    force_login = request.query.get("force_login", "").lower() in ("true", "1")
    if await current_session(request) is None or force_login:
        rest = {k: v for k, v in request.query.items() if k != "force_login"}
        next_path = "/oauth/authorize?" + urlencode(rest)
        raise web.HTTPSeeOther("/login?" + urlencode({"next": next_path, **({"switch": "1"} if force_login else {})}))
    me = await require_viewer(request)
    try:
        app, scopes = await _validated(values)
    except DomainError as exc:
        return await _error_page(request, exc)
    return await page(request, "authorize.html", app=app, scopes=_describe(scopes), values=values, account=me)


@routes.post("/oauth/authorize")
@endpoint(params={**{name: str for name in FIELDS}, "decision": str, "csrf_token": str}, ok=(200, 302),
                  returns="text/html")
async def decide(request: web.Request) -> web.StreamResponse:
    """Approve (redirect with a code, or show it for oob) or deny (redirect with access_denied)."""
    try:
        form = await check_csrf(request)
    except DomainError as exc:
        return await _error_page(request, exc)
    await require_viewer(request)
    values = {name: str(form.get(name, "")) for name in FIELDS}
    try:
        app, scopes = await _validated(values)
    except DomainError as exc:
        return await _error_page(request, exc)
    redirect_uri = values["redirect_uri"]
    if form.get("decision") != "approve":
        if redirect_uri == OOB:
            return await page(request, "authorize_done.html", app=app, code=None)
        return _answer(redirect_uri, error="access_denied",
                       error_description="The resource owner or authorization server denied the request.",
                       state=values["state"])
    session = await current_session(request)
    assert session is not None  # require_viewer above
    code = await oauth.create_authorization_code(app, session.user, redirect_uri, scopes, values["code_challenge"],
                                                 values["code_challenge_method"])
    if redirect_uri == OOB:
        return await page(request, "authorize_done.html", app=app, code=code)
    return _answer(redirect_uri, code=code, state=values["state"])
