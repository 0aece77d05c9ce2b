"""/api/v1/media and /api/v2/media: upload an attachment, read it, change its description and focus; and
/media_proxy, remote attachments through our copy."""

from __future__ import annotations

from aiohttp import web

from ..activitypub import remote_media
from ..services import media
from .auth import optional_account, require_account
from .bodies import accepts_upload
from .endpoint import FILE, endpoint, required
from .entities.statuses import media_entity
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()


async def _upload(request: web.Request) -> web.Response:
    account = await require_account(request, "write:media")
    params = await read_params(request)
    attachment = await media.upload_media(request.app[NODE], account, params.file("file", required=True),
                                          description=params.str("description"), focus=params.str("focus"))
    return web.json_response(media_entity(request.app[NODE], attachment))


@routes.post("/api/v2/media")
@accepts_upload(lambda config: max(config.storage.max_image_mb, config.storage.max_video_mb))
@endpoint(params={"file": required(FILE), "description": str, "focus": str})
async def upload_v2(request: web.Request) -> web.Response:
    """Upload a media attachment (multipart `file`, `description`, `focus`), checked by content.

    Processed synchronously, so always 200 with a url (Mastodon answers 202 while still processing)."""
    return await _upload(request)


@routes.post("/api/v1/media")
@accepts_upload(lambda config: max(config.storage.max_image_mb, config.storage.max_video_mb))
@endpoint(params={"file": required(FILE), "description": str, "focus": str})
async def upload_v1(request: web.Request) -> web.Response:
    """Upload a media attachment (deprecated v1 path; same as v2)."""
    return await _upload(request)


@routes.get("/api/v1/media/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """View one's own media attachment."""
    account = await require_account(request, "write:media")
    return web.json_response(media_entity(request.app[NODE], await media.own_media(account, request.match_info["id"])))


@routes.put("/api/v1/media/{id}")
@endpoint(params={"description": str, "focus": str})
async def update(request: web.Request) -> web.Response:
    """Change a media attachment's description or focal point."""
    account = await require_account(request, "write:media")
    params = await read_params(request)
    attachment = await media.update_media(account, request.match_info["id"], description=params.str("description"),
                                          focus=params.str("focus"))
    return web.json_response(media_entity(request.app[NODE], attachment))


@routes.get(r"/media_proxy/{id}/{style}")
@endpoint(ok=302, returns=None, errors=(404,))
async def media_proxy(request: web.Request) -> web.Response:
    """A remote attachment's file by its id and style (`original` or `small`): redirects to our copy, made
    again first when the retention period pruned it (Mastodon's media proxy); 404 for media the viewer may
    not see or that cannot be fetched."""
    node = request.app[NODE]
    target = await remote_media.proxied(node, await optional_account(request), request.match_info["id"],
                                        request.match_info["style"])
    raise web.HTTPFound(target)
