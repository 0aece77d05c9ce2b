"""The HTML face of the node: themes, pages and forms (server-rendered, enhanced by a little JS)."""

from __future__ import annotations

from aiohttp import web

from . import (
    actions,
    authorize,
    installable,
    mail_links,
    notifications,
    pages,
    search,
    settings,
    signin,
    takes,
)
from .errors import setup_error_pages
from .themes import setup_themes


def setup(app: web.Application) -> None:
    """Add the page routes, templates and static files to the app."""
    setup_themes(app)
    setup_error_pages(app)
    for module in (signin, mail_links, authorize, settings, actions, search, installable, notifications, pages, takes):
        app.router.add_routes(module.routes)
