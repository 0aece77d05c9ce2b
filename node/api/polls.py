"""/api/v1/polls: read a poll and vote in it."""

from __future__ import annotations

from aiohttp import web

from ..services import polls
from .auth import optional_account, require_account
from .endpoint import ID, endpoint
from .entities.statuses import poll_entity
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()


@routes.get("/api/v1/polls/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """View a poll (with own_votes and voted for the caller)."""
    viewer = await optional_account(request)
    poll = await polls.visible_poll(viewer, request.match_info["id"])
    own = await polls.own_votes(viewer, poll)
    return web.json_response(poll_entity(poll, viewer, poll.status.account_id, own))


@routes.post("/api/v1/polls/{id}/votes")
@endpoint(params={"choices": [ID]})
async def vote(request: web.Request) -> web.Response:
    """Vote in a poll with choices[] (once; not in one's own or an ended poll)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    poll = await polls.vote(request.app[NODE], account, request.match_info["id"], params.ids("choices"))
    own = await polls.own_votes(account, poll)
    return web.json_response(poll_entity(poll, account, poll.status.account_id, own))
