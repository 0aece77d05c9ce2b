"""What pages show of statuses and notifications: the API's own entities, so a page never re-derives
counts, visibility or the viewer's likes/shares/saves differently from what clients see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ..api.entities.notifications import notification_entities
from ..api.entities.statuses import status_entities
from ..api.keys import NODE
from ..models import Account, Status
from ..services import notifications
from ..services.paging import Page


async def status_views(request: web.Request, rows: Sequence[Status], me: Account | None) -> list[dict[str, Any]]:
    return await status_entities(request.app[NODE], list(rows), me)


async def notification_views(request: web.Request, me: Account, page: Page) -> tuple[list[dict[str, Any]], list[int]]:
    rows = await notifications.listed(me, page)
    return await notification_entities(request.app[NODE], rows, me), [n.id for n in rows]
