"""The Messages page: end-to-end encrypted chat in the browser, on the e2ee plugin's `/api/v1/crypto/*` API.

The server only serves the page; everything readable happens in the browser (static/messages/*.js with the
vendored libolm WebAssembly build). The browser's device is bound to the web session: the page's scripts call
the crypto API with the session cookie and the X-CSRF-Token header (node/api/auth.py grants sessions the
`crypto` scope), so each signed-in browser is exactly one device and no token is ever handed to scripts.

The route exists only when the e2ee plugin is enabled (setup() is told so), as does the navigation link.
"""

from __future__ import annotations

from aiohttp import web

from .session import MESSAGES_ENABLED, page, require_viewer

MESSAGES = MESSAGES_ENABLED
routes = web.RouteTableDef()


@routes.get("/messages")
async def messages_page(request: web.Request) -> web.Response:
    """The inbox and conversation view; `#/c/<conversation>` deep-links a conversation."""
    me = await require_viewer(request)
    return await page(request, "messages.html", my_acct=me.acct())
