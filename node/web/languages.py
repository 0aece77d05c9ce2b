"""Which language a page is drawn in: the signed-in account's choice (settings → preferences), else the
best match for the browser's Accept-Language, else English. Resolved once per request, before the
handler runs, so the strings a handler puts into a page (flash and error messages) and the template
agree."""

from __future__ import annotations

from aiohttp import web

from .. import i18n
from ..api.auth import SESSION_COOKIE
from ..api.middleware import Handler, wants_json
from .session import current_session

LOCALE_KEY = web.RequestKey("entativa.ui_locale", str)


async def locale_of(request: web.Request) -> str:
    """The request's page language (cached on the request)."""
    if LOCALE_KEY not in request:
        chosen = None
        if request.cookies.get(SESSION_COOKIE):
            session = await current_session(request)
            chosen = i18n.supported(session.user.ui_locale) if session else None
        request[LOCALE_KEY] = chosen or browser_locale(request)
    return request[LOCALE_KEY]


def browser_locale(request: web.Request) -> str:
    """The best available language for the request's Accept-Language, English when none fits."""
    return i18n.negotiate(request.headers.get("Accept-Language")) or i18n.DEFAULT


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # The API and federation answer JSON in English (clients translate their own UI): no session lookup.
    if wants_json(request):
        return await handler(request)
    token = i18n.set_current(await locale_of(request))
    try:
        return await handler(request)
    finally:
        i18n.reset(token)


def setup(app: web.Application) -> None:
    # Innermost, after database_context: resolving a signed-in viewer's choice reads the session.
    app.middlewares.append(middleware)
