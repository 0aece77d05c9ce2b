"""The notifications page (grouped: "bob and 5 others liked your post") and marking them read; the unread
badge in the navigation is filled by the page context and kept live over the stream by notifications.js."""

from __future__ import annotations

from aiohttp import web

from ..api.pagination import requested_page
from ..api.params import Params
from ..services import notifications
from .render import notification_group_views
from .session import back, check_csrf, page, require_viewer

routes = web.RouteTableDef()
PAGE_SIZE = 20


@routes.get("/notifications")
async def notifications_page(request: web.Request) -> web.Response:
    """The signed-in person's notifications, grouped, newest first; unread ones marked."""
    me = await require_viewer(request)
    window = requested_page(
        Params({"max_id": request.query.get("max_id")}), default=PAGE_SIZE, most=PAGE_SIZE
    )
    groups, keys = await notification_group_views(request, me, window)
    older = str(request.rel_url.update_query(max_id=str(min(keys)))) if len(keys) == PAGE_SIZE else None
    return await page(
        request, "notifications.html", groups=groups, older=older, any_unread=any(g["unread"] for g in groups)
    )


@routes.post("/notifications/read")
async def mark_read(request: web.Request) -> web.StreamResponse:
    """Mark every notification read: the notifications marker moves to the newest one (as apps do)."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    await notifications.mark_all_read(me)
    return back(form, "/notifications")
