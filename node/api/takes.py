"""/api/v1/takes (extension): post a Take (video upload or media_id, caption, sound, place, template, start
or join a trend), the Takes feeds, read, edit, delete, count a view, Behind-the-Take steps, publish as a
template, and re-check a trend claim. Likes, comments, shares and saves use /api/v1/statuses/:id, since
a Take's id is its status's id."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..activitypub import takes as federated
from ..errors import NotFound, ValidationFailed
from ..services import statuses, take_templates, takes, visibility
from .auth import current_grant, optional_account, require_account, require_user, viewer_key
from .bodies import accepts_upload
from .endpoint import FILE, ID, OBJECT, PAGE, endpoint
from .entities.takes import take_entities, take_entity, template_entity
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()
BASE = "/api/v1/takes"
SOUND = {"title": str, "author": str, "url": str}
STEP = {"text": str, "media_id": ID, "at": float}  # a Behind-the-Take step


def _sound(params: Params) -> dict[str, Any] | None:
    nested = params.nested("sound")
    if nested is None:
        return None
    return {k: nested.str(k, "") for k in ("title", "author", "url")}


def _steps(params: Params) -> list[takes.StepSpec] | None:
    if "steps" not in params.data:
        return None
    steps = []
    for number, raw in enumerate(params.list("steps"), 1):
        if not isinstance(raw, dict):
            raise ValidationFailed(f"Validation failed: Step {number} must be an object with text, media_id, at")
        step = Params(raw)
        at = raw.get("at")
        try:
            seconds = float(at) if at not in (None, "") else None
        except (TypeError, ValueError):
            raise ValidationFailed(f"Validation failed: Step {number} timestamp must be a number of seconds") from None
        steps.append(takes.StepSpec(text=step.str("text", "") or "", media_id=step.int("media_id"), at_seconds=seconds))
    return steps


def _draft(params: Params, default_visibility: str) -> takes.TakeDraft:
    trend = params.nested("trend")
    return takes.TakeDraft(
        caption=params.str("caption") or params.str("status") or "",
        visibility=params.str("visibility") or default_visibility,
        spoiler_text=params.str("spoiler_text", "") or "",
        sensitive=params.bool("sensitive"),
        language=params.str("language") or None,
        video=params.file("video"),
        media_id=params.int("media_id"),
        sound=_sound(params) or {},
        place_id=params.raw("place_id"),
        location=params.raw("location"),
        template_id=params.int("template_id"),
        trend_name=trend.str("name") if trend else None,
        trend_hashtag=trend.str("hashtag") if trend else None,
        trend_id=params.int("trend_id"),
        trend_uri=params.str("trend_uri") or None,
        steps=_steps(params),
    )


@routes.post(BASE)
@accepts_upload(lambda config: config.takes.max_mb)
@endpoint(params={"caption": str, "status": str, "visibility": str, "spoiler_text": str, "sensitive": bool,
                  "language": str, "video": FILE, "media_id": ID, "sound": SOUND, "place_id": ID, "location": OBJECT,
                  "template_id": ID, "trend": {"name": str, "hashtag": str}, "trend_id": ID, "trend_uri": str,
                  "steps": [STEP]})
async def create(request: web.Request) -> web.Response:
    """Post a Take: `video` (multipart) or `media_id`, `caption`, `visibility`, `sound[title|author|url]`,
    `place_id` or `location[...]`, `template_id`, `trend[name]` + `trend[hashtag]` to start a trend, or
    `trend_id` / `trend_uri` to join one, and optional Behind-the-Take `steps[][text|media_id|at]`."""
    user = await require_user(request, "write:statuses")
    params = await read_params(request)
    grant = await current_grant(request)
    node = request.app[NODE]
    take = await takes.create_take(node, user.account, _draft(params, user.default_visibility),
                                   application_id=grant.app.id if grant and grant.app else None)
    status = await visibility.visible_status(user.account, take.status_id)
    return web.json_response(await take_entity(node, status, user.account))


@routes.get(BASE)
@endpoint(params={**PAGE, "feed": ('following', 'local', 'public', 'trending'), "offset": int}, returns=list)
async def feed(request: web.Request) -> web.Response:
    """The Takes feed: `feed=following|local|public|trending` (default local), newest first (trending: by
    engagement, paged with `offset`)."""
    viewer = await optional_account(request)
    params = await read_params(request)
    which = params.str("feed", "local", choices=("following", "local", "public", "trending")) or "local"
    page = requested_page(params)
    rows, keys = await takes.feed(viewer, which, page, offset=params.int("offset", 0, low=0) or 0)
    body = await take_entities(request.app[NODE], rows, viewer)
    if which == "trending":
        return web.json_response(body)
    return paged_response(request, body, keys)


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One Take (404 when unknown or not visible to the caller)."""
    viewer = await optional_account(request)
    _, status = await takes.visible_take(viewer, request.match_info["id"])
    return web.json_response(await take_entity(request.app[NODE], status, viewer))


@routes.put(BASE + "/{id}")
@endpoint(params={"caption": str, "status": str, "spoiler_text": str, "sensitive": bool, "sound": SOUND})
async def edit(request: web.Request) -> web.Response:
    """Edit one's Take: `caption`, `spoiler_text`, `sensitive`, `sound[...]` (federates as an Update)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    take = await takes.edit_take(node, account, request.match_info["id"],
                                 params.str("caption") if "caption" in params else params.str("status"),
                                 _sound(params), params.str("spoiler_text"),
                                 params.bool("sensitive") if "sensitive" in params else None)
    _, status = await takes.visible_take(account, take.status_id)
    return web.json_response(await take_entity(node, status, account))


@routes.delete(BASE + "/{id}")
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete one's Take (it leaves its trend: the origin is sent a Remove); answers the Take as it was."""
    account = await require_account(request, "write:statuses")
    node = request.app[NODE]
    _, status = await takes.own_take(account, request.match_info["id"])
    entity = await take_entity(node, status, account)
    await statuses.delete_status(node, status)
    return web.json_response(entity)


@routes.post(BASE + "/{id}/view")
@endpoint()
async def view(request: web.Request) -> web.Response:
    """Count a view of a Take, once per viewer (token, session or browser); answers the `views_count`."""
    viewer = await optional_account(request)
    take, _ = await takes.visible_take(viewer, request.match_info["id"])
    return web.json_response({"id": str(take.status_id), "views_count": await takes.add_view(take, viewer_key(request))})


@routes.get(BASE + "/{id}/behind_the_take")
@endpoint()
async def behind_the_take(request: web.Request) -> web.Response:
    """A Take's Behind-the-Take: its ordered steps (text, media, time into the video), or 404 if none."""
    viewer = await optional_account(request)
    _, status = await takes.visible_take(viewer, request.match_info["id"])
    entity = await take_entity(request.app[NODE], status, viewer)
    if entity["behind_the_take"] is None:
        raise NotFound("This Take has no Behind the Take")
    return web.json_response(entity["behind_the_take"])


@routes.put(BASE + "/{id}/behind_the_take")
@endpoint(params={"steps": [STEP]})
async def set_behind_the_take(request: web.Request) -> web.Response:
    """Replace the Behind-the-Take steps: `steps[][text|media_id|at]` (an empty list removes them)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    take = await takes.set_steps(node, account, request.match_info["id"], _steps(params) or [])
    _, status = await takes.visible_take(account, take.status_id)
    return web.json_response(await take_entity(node, status, account))


@routes.post(BASE + "/{id}/template")
@endpoint(params={"name": str, "segments": [OBJECT], "overlays": [OBJECT], "sound": OBJECT, "effects": OBJECT})
async def publish_template(request: web.Request) -> web.Response:
    """Publish one's Take as a reusable template: `name`, `segments` (JSON list of {start, end, ...}),
    `overlays` (JSON list), `sound` (JSON object), `effects` (JSON object). Again: updates it."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    template = await take_templates.publish(node, account, request.match_info["id"], name=params.str("name"),
                                            segments=params.raw("segments"), overlays=params.raw("overlays"),
                                            sound=params.raw("sound"), effects=params.raw("effects"))
    take, _ = await takes.own_take(account, request.match_info["id"])
    return web.json_response(template_entity(node, template, account, take.status_id))


@routes.post(BASE + "/{id}/verify")
@endpoint()
async def verify(request: web.Request) -> web.Response:
    """Check the Take's trend claim against the trend's origin now; answers the Take."""
    viewer = await require_account(request, "read:statuses")
    node = request.app[NODE]
    take, status = await takes.visible_take(viewer, request.match_info["id"])
    if take.trend_claim:
        await federated.verify(node, take)
    return web.json_response(await take_entity(node, status, viewer))
