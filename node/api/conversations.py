"""/api/v1/conversations: the caller's direct-message threads (Mastodon's Conversation entity), marking one
read and removing one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ..models import Account, Conversation, Status
from ..runtime import Node
from ..services import conversations, timelines
from .auth import require_account
from .endpoint import PAGE, endpoint
from .entities.accounts import account_entity
from .entities.statuses import status_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/conversations"


async def conversation_entities(
    node: Node, rows: Sequence[Conversation], viewer: Account
) -> list[dict[str, Any]]:
    """Conversations with their other participants (the viewer alone when writing to themself) and last status."""
    ids = {int(i) for row in rows for i in row.participant_ids.split(",") if i}
    people = {a.id: a for a in await Account.filter(id__in=ids)} if ids else {}
    lasts: list[Status] = await timelines.in_order([row.last_status_id for row in rows])
    rendered = dict(zip([s.id for s in lasts], await status_entities(node, lasts, viewer), strict=True))
    result = []
    for row in rows:
        others = [people[int(i)] for i in row.participant_ids.split(",") if i and int(i) in people]
        result.append(
            {
                "id": str(row.id),
                "unread": row.unread,
                "accounts": [account_entity(node, a) for a in (others or [viewer])],
                "last_status": rendered.get(row.last_status_id),
            }
        )
    return result


@routes.get(BASE)
@endpoint(params=PAGE, returns=list)
async def index(request: web.Request) -> web.Response:
    """The caller's conversations, most recently active first (paginated on their last status)."""
    account = await require_account(request, "read:statuses")
    rows = await conversations.page_of(account, requested_page(await read_params(request)))
    body = await conversation_entities(request.app[NODE], rows, account)
    return paged_response(request, body, [row.last_status_id for row in rows])


@routes.post(BASE + "/{id}/read")
@endpoint()
async def read(request: web.Request) -> web.Response:
    """Mark a conversation read."""
    account = await require_account(request, "write:conversations")
    row = await conversations.mark_read(account, request.match_info["id"])
    return web.json_response((await conversation_entities(request.app[NODE], [row], account))[0])


@routes.delete(BASE + "/{id}")
@endpoint()
async def remove(request: web.Request) -> web.Response:
    """Remove a conversation from the caller's list (its statuses stay); answers {}."""
    account = await require_account(request, "write:conversations")
    await conversations.remove(account, request.match_info["id"])
    return web.json_response({})
