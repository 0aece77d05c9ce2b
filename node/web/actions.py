"""The forms behind the buttons, for browsers without JS: like, share, save, delete, follow, vote (posting is
node.web.compose). Each checks the CSRF token, calls the same service as the API, and redirects back to where it came from."""

from __future__ import annotations

from aiohttp import web

from ..api.keys import NODE
from ..api.params import Params, read_form
from ..i18n import gettext
from ..services import accounts, interactions, polls, relationships, statuses, tags
from .session import back, check_csrf, require_viewer

routes = web.RouteTableDef()


@routes.post(r"/web/statuses/{status_id:\d+}/{action}")
async def status_action(request: web.Request) -> web.StreamResponse:
    """Like, share, save (or undo them) or delete a status from a plain form."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    node = request.app[NODE]
    status_id, action = request.match_info["status_id"], request.match_info["action"]
    if action == "favourite":
        await interactions.favourite(node, me, status_id)
    elif action == "unfavourite":
        await interactions.unfavourite(node, me, status_id)
    elif action == "reblog":
        await interactions.reblog(node, me, status_id)
    elif action == "unreblog":
        await interactions.unreblog(node, me, status_id)
    elif action == "bookmark":
        await interactions.bookmark(me, status_id)
    elif action == "unbookmark":
        await interactions.unbookmark(me, status_id)
    elif action == "delete":
        await statuses.delete_status(node, await statuses.own_status(me, status_id))
        return back(form, f"/@{me.username}")
    else:
        raise web.HTTPNotFound(reason=gettext("No such action"))
    return back(form, "/")


@routes.post(r"/web/accounts/{account_id:\d+}/{action:follow|unfollow}")
async def follow_action(request: web.Request) -> web.StreamResponse:
    """Follow or unfollow from a profile page."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    node = request.app[NODE]
    target = await accounts.get_account(request.match_info["account_id"])
    if request.match_info["action"] == "follow":
        await relationships.follow(node, me, target)
    else:
        await relationships.unfollow(node, me, target)
    return back(form, f"/@{target.acct()}")


@routes.post(r"/web/tags/{name}/{action:follow|unfollow}")
async def tag_follow_action(request: web.Request) -> web.StreamResponse:
    """Follow or unfollow a hashtag (the empty feed's suggestions, a hashtag page)."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    if request.match_info["action"] == "follow":
        await tags.follow(me, request.match_info["name"])
    else:
        await tags.unfollow(me, request.match_info["name"])
    return back(form, "/")


@routes.post(r"/web/polls/{poll_id:\d+}/votes")
async def vote(request: web.Request) -> web.StreamResponse:
    """Vote in a poll from a plain form."""
    await check_csrf(request)
    me = await require_viewer(request)
    form = await read_form(request)
    choices = Params.from_pairs(form.items()).ids("choices")
    await polls.vote(request.app[NODE], me, request.match_info["poll_id"], choices)
    return back(dict(form), "/")
