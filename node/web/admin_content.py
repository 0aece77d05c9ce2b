"""/admin/rules, /admin/announcements and /admin/documents: what admins write for everyone to read (the
rules, announcements, the extended description, the privacy policy and the terms of service), through
the same services the instance API reads them from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from ..api.keys import NODE
from ..api.params import Params
from ..errors import DomainError, ValidationFailed
from ..i18n import N_, gettext
from ..services import announcements, instance_info
from ..services.announcements import AnnouncementSpec
from ..services.instance_info import RuleSpec
from .admin import admin_page, require_admin_viewer
from .session import check_csrf, redirect

routes = web.RouteTableDef()


async def _form(request: web.Request) -> Params:
    form = await check_csrf(request)
    await require_admin_viewer(request)
    return Params.from_pairs(form.items())


# ---- rules ----------------------------------------------------------------------------------------------


async def _rules(request: web.Request, http_status: int = 200, error: str | None = None) -> web.Response:
    return await admin_page(
        request,
        "admin_rules.html",
        "rules",
        http_status=http_status,
        rules=await instance_info.rules(),
        error=error,
    )


def _rule_spec(params: Params) -> RuleSpec:
    translations: dict[str, dict[str, str]] = {}
    language = (params.str("translation_language", max_length=16) or "").strip()
    if language:
        translations[language] = {
            "text": params.str("translation_text", "", max_length=2000) or "",
            "hint": params.str("translation_hint", "", max_length=4000) or "",
        }
    return RuleSpec(
        text=params.str("text", "", max_length=2000),
        hint=params.str("hint", "", max_length=4000),
        priority=params.int("priority", low=-1000, high=1000),
        translations=translations or None,
    )


@routes.get("/admin/rules")
async def rules(request: web.Request) -> web.Response:
    """The server rules, in order, with forms to add, edit and remove them."""
    await require_admin_viewer(request)
    return await _rules(request)


@routes.post("/admin/rules")
async def add_rule(request: web.Request) -> web.StreamResponse:
    """Add a rule (its text is required; a hint, a position and one translation are optional)."""
    params = await _form(request)
    try:
        await instance_info.add_rule(_rule_spec(params))
    except DomainError as exc:
        return await _rules(request, exc.status, exc.message)
    return redirect("/admin/rules?done=rule_added")


@routes.post("/admin/rules/{id}")
async def edit_rule(request: web.Request) -> web.StreamResponse:
    """Change a rule's text, hint, position or a translation."""
    params = await _form(request)
    rule = await instance_info.get_rule(request.match_info["id"])
    try:
        spec = _rule_spec(params)
        if spec.translations:  # the form edits one translation and keeps the others
            spec.translations = {**rule.translations, **spec.translations}
        await instance_info.update_rule(rule, spec)
    except DomainError as exc:
        return await _rules(request, exc.status, exc.message)
    return redirect("/admin/rules?done=rule_saved")


@routes.post("/admin/rules/{id}/delete")
async def delete_rule(request: web.Request) -> web.StreamResponse:
    """Remove a rule."""
    await _form(request)
    await instance_info.delete_rule(await instance_info.get_rule(request.match_info["id"]))
    return redirect("/admin/rules?done=rule_deleted")


# ---- announcements --------------------------------------------------------------------------------------


async def _announcements(
    request: web.Request, http_status: int = 200, error: str | None = None
) -> web.Response:
    rows = await announcements.everything()
    counts = await announcements.reactions([a.id for a in rows], None)
    return await admin_page(
        request,
        "admin_announcements.html",
        "announcements",
        http_status=http_status,
        announcements=rows,
        reactions=counts,
        error=error,
    )


_FIELD_NAMES = {"starts_at": N_("Starts at"), "ends_at": N_("Ends at")}  # the form's words for its fields


def _moment(params: Params, name: str) -> datetime | None:
    value = params.str(name, max_length=32)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            gettext("Validation failed: {field} is not a date and time").format(
                field=gettext(_FIELD_NAMES[name]) if name in _FIELD_NAMES else name)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the form's local time is taken as UTC


def _announcement_spec(params: Params) -> AnnouncementSpec:
    return AnnouncementSpec(
        text=params.str("text", "", max_length=10_000),
        starts_at=_moment(params, "starts_at"),
        ends_at=_moment(params, "ends_at"),
        all_day=params.bool("all_day"),
        published=params.bool("published"),
    )


@routes.get("/admin/announcements")
async def announcements_page(request: web.Request) -> web.Response:
    """Announcements, newest first, with their reactions and forms to publish, edit and delete."""
    await require_admin_viewer(request)
    return await _announcements(request)


@routes.post("/admin/announcements")
async def add_announcement(request: web.Request) -> web.StreamResponse:
    """Write an announcement: published at once unless left as a draft."""
    params = await _form(request)
    try:
        await announcements.create(request.app[NODE], _announcement_spec(params))
    except DomainError as exc:
        return await _announcements(request, exc.status, exc.message)
    return redirect("/admin/announcements?done=announcement_added")


@routes.post("/admin/announcements/{id}")
async def edit_announcement(request: web.Request) -> web.StreamResponse:
    """Change an announcement's text, time span, or whether it is published."""
    params = await _form(request)
    found = await announcements.get(request.match_info["id"], only_published=False)
    try:
        spec = _announcement_spec(params)
        if spec.starts_at is None and spec.ends_at is None:  # emptied: the announcement no longer has a span
            found.starts_at = found.ends_at = None
        await announcements.update(request.app[NODE], found, spec)
    except DomainError as exc:
        return await _announcements(request, exc.status, exc.message)
    return redirect("/admin/announcements?done=announcement_saved")


@routes.post("/admin/announcements/{id}/delete")
async def delete_announcement(request: web.Request) -> web.StreamResponse:
    """Delete an announcement (open apps drop it at once)."""
    await _form(request)
    found = await announcements.get(request.match_info["id"], only_published=False)
    await announcements.delete(request.app[NODE], found)
    return redirect("/admin/announcements?done=announcement_deleted")


# ---- documents ------------------------------------------------------------------------------------------


async def _documents(
    request: web.Request, http_status: int = 200, error: str | None = None, **typed: Any
) -> web.Response:
    texts = {kind: await instance_info.text_of(kind) for kind in ("extended_description", "privacy_policy")}
    return await admin_page(
        request,
        "admin_documents.html",
        "documents",
        http_status=http_status,
        texts={k: (typed.get(k) if k in typed else (v.text if v else "")) for k, v in texts.items()},
        terms=await instance_info.all_terms(),
        today=request.app[NODE].clock.now().date(),
        error=error,
        typed_terms=typed.get("terms", ""),
    )


@routes.get("/admin/documents")
async def documents(request: web.Request) -> web.Response:
    """The extended description, privacy policy and terms of service (Markdown), with their versions."""
    await require_admin_viewer(request)
    return await _documents(request)


@routes.post(r"/admin/documents/{kind:extended_description|privacy_policy}")
async def save_document(request: web.Request) -> web.StreamResponse:
    """Save the extended description or the privacy policy."""
    params = await _form(request)
    kind = request.match_info["kind"]
    text = params.str("text", "", max_length=200_000) or ""
    try:
        await instance_info.set_text(request.app[NODE], kind, text)
    except DomainError as exc:
        return await _documents(request, exc.status, exc.message, **{kind: text})
    return redirect(f"/admin/documents?done={kind}_saved")


@routes.post("/admin/documents/terms")
async def publish_terms(request: web.Request) -> web.StreamResponse:
    """Publish a new version of the terms of service, in effect from a given day (today by default)."""
    params = await _form(request)
    text = params.str("text", "", max_length=200_000) or ""
    try:
        day_text = params.str("effective_date", max_length=10)
        try:
            day = date.fromisoformat(day_text) if day_text else None
        except ValueError:
            raise ValidationFailed(gettext("Validation failed: Effective date is not a date")) from None
        await instance_info.publish_terms(
            request.app[NODE], text, params.str("changelog", "", max_length=20_000) or "", day
        )
    except DomainError as exc:
        return await _documents(request, exc.status, exc.message, terms=text)
    return redirect("/admin/documents?done=terms_published")
