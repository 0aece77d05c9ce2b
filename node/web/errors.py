"""Error pages for HTML routes, drawn in the active theme (the API middleware asks us for the HTML)."""

from __future__ import annotations

from aiohttp import web

from .. import i18n
from ..api.keys import NODE
from ..api.middleware import HTML_ERROR_PAGE
from .languages import LOCALE_KEY, browser_locale
from .session import SESSION_KEY
from .themes import THEME


def themed_error(request: web.Request, status: int, message: str) -> str:
    # Synchronous (the middleware is): use the session only if this request already looked it up.
    session = request.get(SESSION_KEY)
    node = request.app.get(NODE)
    context = {
        "node": node.config.node if node else None,
        "me": session.user.account if session else None,
        "csrf_token": session.csrf_token if session else "",
        "request_path": request.path,
        "request_path_qs": request.path_qs,
        "status_code": status,
        "message": message,
    }
    try:
        # The language the request resolved, or (failing before that, e.g. a 404 with no route) the browser's.
        locale = request.get(LOCALE_KEY) or browser_locale(request)
        with i18n.using(locale):  # a message the catalogue knows ("Record not found") reads in the page's language
            context["message"] = i18n.gettext(message) if message else message
        return request.app[THEME].render("error.html", context, locale=locale)
    except Exception:  # an error page must never fail itself
        return f"<!doctype html><title>{status}</title><h1>{status}</h1>"


def setup_error_pages(app: web.Application) -> None:
    app[HTML_ERROR_PAGE] = themed_error
