"""The search page: one box for people, posts, hashtags and places (the same search as /api/v2/search);
search.js adds instant suggestions from /api/v1/search/suggestions as you type."""

from __future__ import annotations

from aiohttp import web

from ..api.entities.accounts import account_entity
from ..api.entities.places import place_entity
from ..api.entities.tags import tag_entities
from ..api.keys import NODE
from ..errors import ValidationFailed
from ..i18n import gettext
from ..search import query as search_query
from ..search import service
from ..services import search_history
from .render import status_views
from .session import page, viewer

routes = web.RouteTableDef()
KINDS = ("accounts", "statuses", "hashtags", "places")


@routes.get("/search")
async def search_page(request: web.Request) -> web.Response:
    """Results for `q`, grouped: people, hashtags, places, then posts."""
    node = request.app[NODE]
    me = await viewer(request)
    q = request.query.get("q", "").strip()[:search_query.MAX_QUERY_CHARS]
    found, error = service.Found(), None
    if q:
        try:
            found = await service.search(node, me, search_query.parse(q), KINDS, limit=20)
        except ValidationFailed as exc:
            error = exc.message
        if me is not None and error is None:
            await search_history.record(me, q)
    history = await search_history.entries(me, limit=8) if me is not None and not q else []
    return await page(request, "search.html", q=q, error=error,
                      accounts=[account_entity(node, a) for a in found.accounts],
                      hashtags=await tag_entities(node, found.hashtags),
                      places=[place_entity(p) for p in found.places],
                      statuses=await status_views(request, found.statuses, me), older=None,
                      history=history, empty=gettext("No posts match.") if q else gettext("Type something to search."))
