"""/settings/profile: the signed-in person edits their display name, bio, fields, avatar and header;
/settings/preferences: their posting defaults and reading preferences (what /api/v1/preferences answers)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.entities.accounts import account_entity
from ..api.keys import NODE
from ..api.params import Params
from ..errors import DomainError
from ..models.status import VISIBILITIES
from ..services import profiles
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()


async def _form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    me = await require_viewer(request)
    entity = account_entity(request.app[NODE], me, source=True)
    return await page(request, "settings_profile.html", http_status=http_status, account=entity, **context)


@routes.get("/settings/profile")
async def edit(request: web.Request) -> web.Response:
    """The profile settings form."""
    return await _form(request, saved=request.query.get("saved") == "1", error=None)


@routes.post("/settings/profile")
async def save(request: web.Request) -> web.StreamResponse:
    """Save display name, bio, fields, avatar and header."""
    form = await check_csrf(request)
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    params = Params.from_pairs(form.items())

    def image(name: str) -> FileField | None:
        value = form.get(name)
        return value if isinstance(value, FileField) and value.filename else None

    try:
        changes = profiles.ProfileChanges(
            display_name=params.str("display_name", ""), note=params.str("note", ""),
            fields=profiles.check_fields(params.list("fields_attributes")),
            avatar=image("avatar"), header=image("header"))
        await profiles.update_profile(request.app[NODE], session.user, changes)
    except DomainError as exc:
        return await _form(request, http_status=exc.status, saved=False, error=exc.message)
    return redirect("/settings/profile?saved=1")


async def _preferences_form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    return await page(request, "settings_preferences.html", http_status=http_status, user=session.user,
                      visibilities=VISIBILITIES, expand_media=profiles.EXPAND_MEDIA, **context)


@routes.get("/settings/preferences")
async def preferences(request: web.Request) -> web.Response:
    """The preferences form."""
    return await _preferences_form(request, saved=request.query.get("saved") == "1", error=None)


@routes.post("/settings/preferences")
async def save_preferences(request: web.Request) -> web.StreamResponse:
    """Save the default visibility, sensitivity and language, and the media and content warning preferences."""
    form = await check_csrf(request)
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    params = Params.from_pairs(form.items())
    try:
        changes = profiles.ProfileChanges(
            privacy=params.str("default_visibility"), sensitive=params.bool("default_sensitive"),
            locale=params.str("default_language") or None, expand_media=params.str("expand_media"),
            expand_spoilers=params.bool("expand_spoilers"))
        await profiles.update_profile(request.app[NODE], session.user, changes)
    except DomainError as exc:
        return await _preferences_form(request, http_status=exc.status, saved=False, error=exc.message)
    return redirect("/settings/preferences?saved=1")
