"""/settings: the list of settings sections (the side menu every settings page shares on a desktop).
/settings/privacy: locked account, discoverable, hidden follows and followers.
/settings/profile: the signed-in person edits their display name, bio, fields, avatar and header.
/settings/preferences: their posting defaults and reading preferences (what /api/v1/preferences answers).
/settings/notifications: what reaches them by push and mail, quiet hours and the digest, and push on this
browser (the page's script subscribes through the service worker)."""

from __future__ import annotations

from zoneinfo import available_timezones

from aiohttp import web
from aiohttp.web_request import FileField

from .. import i18n
from ..api.bodies import accepts_upload
from ..api.entities.accounts import account_entity
from ..api.keys import NODE
from ..api.params import Params
from ..errors import DomainError
from ..models.status import VISIBILITIES
from ..notify import preferences
from ..notify.dispatcher import mail_enabled
from ..notify.state import of as channels_of
from ..services import profiles
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()


@routes.get("/settings")
async def index(request: web.Request) -> web.Response:
    """Every settings section, as a list (what a phone shows; desktops also get it as a side menu)."""
    await require_viewer(request)
    return await page(request, "settings_index.html")


async def _privacy_form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    context.setdefault("error", None)
    return await page(request, "settings_privacy.html", http_status=http_status, user=session.user,
                      account=session.user.account, saved=request.query.get("saved") == "1", **context)


@routes.get("/settings/privacy")
async def privacy_page(request: web.Request) -> web.Response:
    """Who may follow without asking, whether the account is suggested, and whether its lists are shown."""
    return await _privacy_form(request)


@routes.post("/settings/privacy")
async def save_privacy(request: web.Request) -> web.StreamResponse:
    """Save the three switches (an unticked box is off)."""
    form = await check_csrf(request)
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    changes = profiles.ProfileChanges(locked=form.get("locked") == "1", discoverable=form.get("discoverable") == "1",
                                      hide_collections=form.get("hide_collections") == "1")
    try:
        await profiles.update_profile(request.app[NODE], session.user, changes)
    except DomainError as exc:
        return await _privacy_form(request, http_status=exc.status, error=exc.message)
    return redirect("/settings/privacy?saved=1")


async def _form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    me = await require_viewer(request)
    entity = account_entity(request.app[NODE], me, source=True)
    return await page(request, "settings_profile.html", http_status=http_status, account=entity, **context)


@routes.get("/settings/profile")
async def edit(request: web.Request) -> web.Response:
    """The profile settings form."""
    return await _form(request, saved=request.query.get("saved") == "1", error=None)


@routes.post("/settings/profile")
@accepts_upload(lambda config: 2 * config.storage.max_image_mb)
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
                      visibilities=VISIBILITIES, expand_media=profiles.EXPAND_MEDIA, ui_locales=i18n.names(),
                      **context)


@routes.get("/settings/preferences")
async def preferences_page(request: web.Request) -> web.Response:
    """The preferences form."""
    return await _preferences_form(request, saved=request.query.get("saved") == "1", error=None)


@routes.post("/settings/preferences")
async def save_preferences(request: web.Request) -> web.StreamResponse:
    """Save the default visibility, sensitivity and language, the media and content warning preferences, and
    the language of the site."""
    form = await check_csrf(request)
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    params = Params.from_pairs(form.items())
    try:
        # A form without the menu (an older page) leaves the choice as it is.
        ui_locale = profiles.check_ui_locale(params.str("ui_locale")) if "ui_locale" in form else session.user.ui_locale
        changes = profiles.ProfileChanges(
            privacy=params.str("default_visibility"), sensitive=params.bool("default_sensitive"),
            locale=params.str("default_language") or None, expand_media=params.str("expand_media"),
            expand_spoilers=params.bool("expand_spoilers"))
        await profiles.update_profile(request.app[NODE], session.user, changes)
        await profiles.set_ui_locale(session.user, ui_locale)
    except DomainError as exc:
        return await _preferences_form(request, http_status=exc.status, saved=False, error=exc.message)
    return redirect("/settings/preferences?saved=1")


_ZONES: list[str] = []


def _zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))
        _ZONES.insert(0, "UTC")
    return _ZONES


async def _notifications_form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    me = await require_viewer(request)
    node = request.app[NODE]
    settings = context.pop("settings", None) or await preferences.read(me.id)
    type_names = {kind: i18n.gettext(name) for kind, name in preferences.TYPE_NAMES.items()}
    return await page(request, "settings_notifications.html", http_status=http_status, settings=settings,
                      type_names=type_names, zones=_zones(), mail_on=mail_enabled(node),
                      vapid_key=channels_of(node).vapid_public, **context)


@routes.get("/settings/notifications")
async def notifications_form(request: web.Request) -> web.Response:
    """Push and email per type, quiet hours, the digest, and push on this browser."""
    return await _notifications_form(request, saved=request.query.get("saved") == "1", error=None)


@routes.post("/settings/notifications")
async def save_notifications(request: web.Request) -> web.StreamResponse:
    """Save the whole form (an unticked box is off); a bad value shows the form again, nothing stored."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    # Without mail the email boxes are disabled (browsers do not send them): their stored values stay.
    channels = preferences.CHANNELS if mail_enabled(request.app[NODE]) else ("push",)
    body: dict = {
        "types": {kind: {channel: form.get(f"{kind}.{channel}") == "on" for channel in channels}
                  for kind in preferences.TYPES},
        "quiet_hours": {"enabled": form.get("quiet.enabled") == "on", "start": str(form.get("quiet.start", "")),
                        "end": str(form.get("quiet.end", "")), "timezone": str(form.get("quiet.timezone", ""))},
    }
    if "email_digest" in form:
        body["email_digest"] = str(form["email_digest"])
    try:
        await preferences.update(me.id, body)
    except DomainError as exc:
        # The stored settings with the quiet hours as typed, so the bad value can be corrected.
        shown = {**await preferences.read(me.id), "quiet_hours": body["quiet_hours"]}
        return await _notifications_form(request, http_status=exc.status, saved=False, error=exc.message,
                                         settings=shown)
    return redirect("/settings/notifications?saved=1")
