"""The HTML face of the node: themes, pages and forms (server-rendered, enhanced by a little JS)."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the page routes, templates and static files to the app."""
