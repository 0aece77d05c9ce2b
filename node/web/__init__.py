"""The HTML face of the node: themes, pages and forms (server-rendered, enhanced by a little JS)."""

from __future__ import annotations

from aiohttp import web

from . import (
    about,
    account_data,
    actions,
    admin,
    admin_content,
    authorize,
    compose,
    installable,
    languages,
    mail_links,
    messages,
    notifications,
    pages,
    search,
    settings,
    settings_account,
    settings_moves,
    settings_two_factor,
    signin,
    stories,
    take_making,
    takes,
)
from .errors import setup_error_pages
from .themes import setup_themes


def setup(app: web.Application, *, messages_enabled: bool = False) -> None:
    """Add the page routes, templates and static files to the app; /messages only with the e2ee plugin."""
    setup_themes(app)
    languages.setup(app)
    app[messages.MESSAGES] = messages_enabled
    if messages_enabled:
        app.router.add_routes(messages.routes)
    setup_error_pages(app)
    for module in (signin, mail_links, authorize, settings, settings_account, settings_moves, settings_two_factor,
                   account_data, compose, actions, search, installable, notifications, pages, takes, take_making, stories, about, admin,
                   admin_content):
        app.router.add_routes(module.routes)
