"""GET /api/v1/custom_emojis: the node's own emoji, as Mastodon lists them (public, no token needed)."""

from __future__ import annotations

from aiohttp import web

from ..services import emoji
from .endpoint import endpoint
from .keys import NODE

routes = web.RouteTableDef()


@routes.get("/api/v1/custom_emojis")
@endpoint(returns=list)
async def custom_emojis(request: web.Request) -> web.Response:
    """CustomEmoji[]: the local emoji that are enabled, by category then shortcode."""
    node = request.app[NODE]
    return web.json_response([emoji.entity(node, e) for e in await emoji.local_emojis()])
