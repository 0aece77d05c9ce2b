"""The forms behind the buttons, for browsers without JS: post, like, share, save, delete, follow, vote.
Each checks the CSRF token, calls the same service as the API, and redirects back to where it came from."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.bodies import accepts_upload
from ..api.keys import NODE
from ..api.params import Params, read_form
from ..errors import DomainError
from ..models import parse_id
from ..services import accounts, interactions, media, polls, relationships, statuses
from .session import back, check_csrf, page, redirect, require_viewer

routes = web.RouteTableDef()
MEDIA_SLOTS = 4


@routes.post("/compose")
@accepts_upload(lambda config: MEDIA_SLOTS * max(config.storage.max_image_mb, config.storage.max_video_mb))
async def compose(request: web.Request) -> web.StreamResponse:
    """Post a status (with up to four uploads and their alt text) from a page form."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    node = request.app[NODE]
    reply_to = str(form.get("in_reply_to_id") or "")
    try:
        uploads = []
        for slot in range(MEDIA_SLOTS):
            upload = form.get(f"media_{slot}")
            if isinstance(upload, FileField) and upload.filename:
                uploads.append((upload, str(form.get(f"media_{slot}_description", ""))))
        attached = [await media.upload_media(node, me, upload, description=text) for upload, text in uploads]
        draft = statuses.Draft(
            text=str(form.get("status", "")), spoiler_text=str(form.get("spoiler_text", "")),
            sensitive=bool(form.get("spoiler_text")), visibility=str(form.get("visibility") or "public"),
            media_ids=[m.id for m in attached], in_reply_to_id=parse_id(reply_to) if reply_to.isdigit() else None)
        status = await statuses.create_status(node, me, draft)
    except DomainError as exc:
        return await page(request, "compose.html", http_status=exc.status, error=exc.message)
    if form.get("back") == "/compose":  # from the compose page, show the new post; else back to the feed
        return redirect(f"/@{me.username}/{status.id}")
    return back(form, "/")


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
        raise web.HTTPNotFound(reason="No such action")
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


@routes.post(r"/web/polls/{poll_id:\d+}/votes")
async def vote(request: web.Request) -> web.StreamResponse:
    """Vote in a poll from a plain form."""
    await check_csrf(request)
    me = await require_viewer(request)
    form = await read_form(request)
    choices = Params.from_pairs(form.items()).ids("choices")
    await polls.vote(request.app[NODE], me, request.match_info["poll_id"], choices)
    return back(dict(form), "/")
