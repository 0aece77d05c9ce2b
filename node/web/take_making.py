"""The Take page's forms for its author: add or remove Behind-the-Take steps and publish the Take as a
template. They call the same services as PUT /api/v1/takes/:id/behind_the_take and POST .../template,
and show a refused change next to the form."""

from __future__ import annotations

import json

from aiohttp import web

from ..api.keys import NODE
from ..errors import DomainError, ValidationFailed
from ..i18n import gettext
from ..services import take_templates, takes
from .session import check_csrf, redirect, require_viewer
from .takes import take_view

routes = web.RouteTableDef()


def _seconds(value: object, what: str) -> float | None:
    text = str(value or "").strip()
    if not text:
        return None
    minutes, _, seconds = text.rpartition(":")  # "1:05.5" or "65.5"
    try:
        return (float(minutes) * 60 if minutes else 0) + float(seconds)
    except ValueError:
        raise ValidationFailed(
            gettext("{what} must be seconds (12.5) or minutes:seconds (0:12.5)").format(what=what)) from None


async def _current_steps(take_id: int) -> list[takes.StepSpec]:
    rows = (await takes.steps_of([take_id])).get(take_id, [])
    return [takes.StepSpec(text=s.text, media_id=s.media_id, at_seconds=s.at_seconds) for s in rows]


@routes.post(r"/takes/{status_id:\d+}/steps")
async def add_step(request: web.Request) -> web.StreamResponse:
    """Add a Behind-the-Take step (text, optional time into the video) after the existing ones."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    status_id = request.match_info["status_id"]
    try:
        take, _ = await takes.own_take(me, status_id)
        text = str(form.get("text", "")).strip()
        if not text:
            raise ValidationFailed(gettext("Write what this step shows"))
        steps = [*await _current_steps(take.id),
                 takes.StepSpec(text=text, at_seconds=_seconds(form.get("at"), gettext("The time")))]
        await takes.set_steps(request.app[NODE], me, status_id, steps)
    except DomainError as exc:
        return await take_view(request, status_id, error=exc.message.removeprefix("Validation failed: "),
                               http_status=exc.status)
    return redirect(f"/takes/{status_id}#btt")


@routes.post(r"/takes/{status_id:\d+}/steps/{position:\d+}/delete")
async def remove_step(request: web.Request) -> web.StreamResponse:
    """Remove one Behind-the-Take step."""
    await check_csrf(request)
    me = await require_viewer(request)
    status_id = request.match_info["status_id"]
    take, _ = await takes.own_take(me, status_id)
    steps = await _current_steps(take.id)
    position = int(request.match_info["position"])
    if position >= len(steps):
        raise web.HTTPNotFound(reason=gettext("No such step"))
    await takes.set_steps(request.app[NODE], me, status_id, steps[:position] + steps[position + 1:])
    return redirect(f"/takes/{status_id}#btt")


@routes.post(r"/takes/{status_id:\d+}/template")
async def publish_template(request: web.Request) -> web.StreamResponse:
    """Publish the Take as a template: a name, optional cut points (seconds) and a text overlay."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    status_id = request.match_info["status_id"]
    try:
        take, _ = await takes.own_take(me, status_id)
        cuts = [_seconds(part, gettext("Each cut")) for part in str(form.get("cuts", "")).replace(";", ",").split(",")
                if part.strip()]
        ends = sorted({c for c in cuts if c is not None and 0 < c < (take.duration or float("inf"))})
        bounds = [0.0, *ends, take.duration] if take.duration and ends else []
        segments = [{"start": a, "end": b} for a, b in zip(bounds, bounds[1:], strict=False)]
        overlay = str(form.get("overlay", "")).strip()
        template = await take_templates.publish(
            request.app[NODE], me, status_id, name=str(form.get("name", "")), segments=json.dumps(segments),
            overlays=json.dumps([{"text": overlay}] if overlay else []), sound=None, effects=None)
    except DomainError as exc:
        return await take_view(request, status_id, error=exc.message.removeprefix("Validation failed: "),
                               http_status=exc.status)
    return redirect(f"/takes/templates/{template.id}")
