"""The compose form's two routes: the page, and the post it sends. With JS the media were uploaded
already (through /api/v2/media) and arrive as ordered `media_ids[]` with `media_description[id]`; without
JS the files come in four `media_N` slots. A refused post re-shows the form with what was typed, the
media already uploaded, and the error next to the field it is about."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.bodies import accepts_upload
from ..api.entities.statuses import media_entity
from ..api.keys import NODE
from ..api.params import Params, read_form
from ..errors import DomainError, ValidationFailed
from ..i18n import N_, gettext
from ..models import Account, parse_id
from ..services import media, statuses
from .session import back, check_csrf, page, redirect, require_viewer

routes = web.RouteTableDef()
MEDIA_SLOTS = 4
# what the service says, as a person would say it, and which field it is about
PLAIN_WORDS = {
    "Text can't be blank": ("status", N_("Write something, or add a photo, video or poll, before posting.")),
}


@routes.get("/compose")
async def compose_page(request: web.Request) -> web.Response:
    """The compose page."""
    await require_viewer(request)
    return await page(request, "compose.html", values={}, media=[], errors={})


def _poll(params: Params) -> dict[str, Any] | None:
    """The poll, when any choice was filled in (a closed poll editor is disabled, so sends nothing)."""
    raw = params.data.get("poll")
    if not isinstance(raw, dict):
        return None
    options = raw.get("options") or []
    options = [options] if isinstance(options, str) else list(options.values()) if isinstance(options, dict) else options
    if not any(str(o).strip() for o in options):
        return None
    return {**raw, "options": [str(o) for o in options]}


def _error(exc: DomainError) -> dict[str, str]:
    message = exc.message.removeprefix("Validation failed: ")
    if message in PLAIN_WORDS:
        field, words = PLAIN_WORDS[message]
        return {field: gettext(words)}
    if message.startswith("Poll"):
        return {"poll": message}
    if "media" in message.lower() or "file" in message.lower():
        return {"form": message}
    return {"status": message}


async def _media_ids(me: Account, params: Params, form: Any) -> list[int]:
    """Ordered ids of the media to attach: those uploaded already (their alt text saved now), then any
    files posted in the no-JS slots."""
    ids = params.ids("media_ids")
    descriptions = params.data.get("media_description") or {}
    for media_id in ids:
        text = descriptions.get(str(media_id)) if isinstance(descriptions, dict) else None
        if text is not None:
            await media.update_media(me, media_id, description=str(text))
    return ids


@routes.post("/compose")
@accepts_upload(lambda config: MEDIA_SLOTS * max(config.storage.max_image_mb, config.storage.max_video_mb))
async def compose(request: web.Request) -> web.StreamResponse:
    """Post a status (text, media with alt text, poll, content warning, audience, language) from a form."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    node = request.app[NODE]
    pairs = (await read_form(request)).items()  # every pair: media_ids[] and poll[options][] repeat (form is a dict)
    params = Params.from_pairs((k, v) for k, v in pairs if not isinstance(v, FileField))
    reply_to = str(form.get("in_reply_to_id") or "")
    ids: list[int] = []
    try:
        ids = await _media_ids(me, params, form)
        for slot in range(MEDIA_SLOTS):
            upload = form.get(f"media_{slot}")
            if isinstance(upload, FileField) and upload.filename:
                made = await media.upload_media(node, me, upload, description=str(form.get(f"media_{slot}_description", "")))
                ids.append(made.id)
        if len(ids) > MEDIA_SLOTS:
            raise ValidationFailed(f"A post can have at most {MEDIA_SLOTS} photos or videos")
        spoiler = str(form.get("spoiler_text", "")).strip()
        draft = statuses.Draft(
            text=str(form.get("status", "")), spoiler_text=spoiler, sensitive=bool(spoiler),
            visibility=str(form.get("visibility") or "public"), language=str(form.get("language") or "") or None,
            media_ids=ids, poll=_poll(params),
            in_reply_to_id=parse_id(reply_to) if reply_to.isdigit() else None)
        status = await statuses.create_status(node, me, draft)
    except DomainError as exc:
        return await _refused(request, me, form, params, ids, exc)
    if form.get("back") == "/compose":  # from the compose page, show the new post; else back where it was
        return redirect(f"/@{me.username}/{status.id}")
    return back(form, "/")


async def _refused(request: web.Request, me: Account, form: Any, params: Params, ids: list[int],
                   exc: DomainError) -> web.Response:
    node = request.app[NODE]
    kept = []
    for media_id in ids:
        try:
            kept.append(media_entity(node, await media.own_media(me, media_id)))
        except DomainError:
            continue
    poll = params.data.get("poll") if isinstance(params.data.get("poll"), dict) else {}
    options = poll.get("options") or []
    options = list(options.values()) if isinstance(options, dict) else [options] if isinstance(options, str) else options
    values = {"status": str(form.get("status", "")), "spoiler_text": str(form.get("spoiler_text", "")),
              "visibility": str(form.get("visibility", "")), "language": str(form.get("language", "")),
              "poll_on": bool(_poll(params)), "poll_options": options if _poll(params) else None,
              "poll_expires_in": poll.get("expires_in"), "poll_multiple": bool(poll.get("multiple"))}
    return await page(request, "compose.html", http_status=exc.status, values=values, media=kept,
                      errors=_error(exc), reply_to_id=str(form.get("in_reply_to_id") or ""))
