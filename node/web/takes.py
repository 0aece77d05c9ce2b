"""The Takes pages: the vertical feed, one Take with its comments, Behind-the-Take steps and trend credit,
a trend with its participants, a template with "use this template", and the form that posts a Take.
Each reads through the Take services and renders the API's own entities (plus `caption_html`, the
caption without the sound and trend lines the content carries for servers that ignore our terms, since
the page shows those once, from the structured fields)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.bodies import accepts_upload
from ..api.entities.takes import take_entities, take_entity, template_entities, trend_entities
from ..api.keys import NODE
from ..api.pagination import requested_page
from ..api.params import Params
from ..errors import DomainError
from ..i18n import N_, gettext
from ..services import statuses, take_templates, take_trends, takes
from ..services.paging import Page
from .render import status_views
from .session import check_csrf, page, redirect, require_viewer, viewer

routes = web.RouteTableDef()
PAGE_SIZE = 10
FEEDS = {"local": N_("On this server"), "following": N_("Following"), "trending": N_("Trending"), "public": N_("Everywhere")}


# the lines services.takes.sound_html / attribution_html add to the content for plain fediverse servers
CREDIT_LINE = re.compile(r"<p>(?:Sound: |Trend started by ).*?</p>", re.DOTALL)


def for_page(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for entity in entities:
        entity["caption_html"] = CREDIT_LINE.sub("", entity["status"]["content"] or "").strip()
    return entities


def _page(request: web.Request) -> Page:
    return requested_page(Params({"max_id": request.query.get("max_id")}), default=PAGE_SIZE, most=PAGE_SIZE)


@routes.get("/takes")
async def feed(request: web.Request) -> web.Response:
    """The Takes feed: full-height vertical videos, one per screen (local, following or trending)."""
    me = await viewer(request)
    which = request.query.get("feed", "following" if me else "local")
    if which not in FEEDS or (which == "following" and me is None):
        which = "local"
    rows, keys = await takes.feed(me, which, _page(request))
    entities = for_page(await take_entities(request.app[NODE], rows, me))
    older = (str(request.rel_url.update_query(max_id=str(min(keys))))
             if len(keys) == PAGE_SIZE and which != "trending" else None)
    ranked = await take_trends.trending(request.app[NODE], limit=5)
    trends = await trend_entities(request.app[NODE], [g.trend for g in ranked], {g.trend.id: g for g in ranked})
    return await page(request, "takes.html", takes=entities, feed=which, feeds={key: gettext(label) for key, label in FEEDS.items()}, older=older, trends=trends)


@routes.get(r"/takes/{status_id:\d+}")
async def take_page(request: web.Request) -> web.Response:
    """One Take: the player, caption, sound, trend credit (verified or not), template, and its steps."""
    return await take_view(request, request.match_info["status_id"])


async def take_view(request: web.Request, status_id: str, error: str | None = None,
                    http_status: int = 200) -> web.Response:
    """The Take page, also as the making forms re-show it with their error next to them."""
    me = await viewer(request)
    _, status = await takes.visible_take(me, status_id)
    _, descendants = await statuses.context(me, status)
    return await page(request, "take.html", http_status=http_status,
                      take=for_page([await take_entity(request.app[NODE], status, me)])[0],
                      comments=await status_views(request, descendants, me), error=error,
                      alternate=status.uri if status.visibility in ("public", "unlisted") else None)


@routes.get(r"/takes/trends/{trend_id:\d+}")
async def trend_page(request: web.Request) -> web.Response:
    """A trend: who started it (linked to the originating Take) and the participant Takes held here."""
    me = await viewer(request)
    node = request.app[NODE]
    trend = await take_trends.find(request.match_info["trend_id"])
    growth = await take_trends.growth_of(node, trend)
    entity = (await trend_entities(node, [trend], {trend.id: growth}))[0]
    rows, _ = await takes.by_trend(me, trend, Page(max_id=None, since_id=None, min_id=None, limit=40))
    return await page(request, "take_trend.html", trend=entity,
                      takes=for_page(await take_entities(node, rows, me)))


@routes.get(r"/takes/templates/{template_id:\d+}")
async def template_page(request: web.Request) -> web.Response:
    """A template: its segments, overlays, sound and effects, usage count, and "use this template"."""
    me = await viewer(request)
    node = request.app[NODE]
    template = await take_templates.find(request.match_info["template_id"])
    rows, _ = await takes.by_template(me, template.id, Page(max_id=None, since_id=None, min_id=None, limit=20))
    return await page(request, "take_template.html", tpl=(await template_entities(node, [template]))[0],
                      takes=for_page(await take_entities(node, rows, me)))


async def _new_take_form(request: web.Request, template_id: str, trend_id: str, error: str | None = None,
                         http_status: int = 200) -> web.Response:
    """The new-Take form, naming the template it is made from and the trend it joins (not their ids)."""
    node = request.app[NODE]
    tpl = trend = None
    if template_id.isdigit():
        tpl = (await template_entities(node, [await take_templates.find(template_id)]))[0]
    if trend_id.isdigit():
        trend = (await trend_entities(node, [await take_trends.find(trend_id)]))[0]
    return await page(request, "take_new.html", http_status=http_status, error=error, tpl=tpl, trend=trend)


@routes.get("/takes/new")
async def new_take(request: web.Request) -> web.Response:
    """The form to post a Take (optionally from a template or joining a trend)."""
    await require_viewer(request)
    return await _new_take_form(request, request.query.get("template_id", ""), request.query.get("trend_id", ""))


@routes.post("/takes/new")
@accepts_upload(lambda config: config.takes.max_mb)
async def post_take(request: web.Request) -> web.StreamResponse:
    """Post a Take from the page form; errors are shown on the form."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    video = form.get("video")
    field = Params(form)
    try:
        draft = takes.TakeDraft(
            caption=str(form.get("caption", "")), visibility=str(form.get("visibility") or "public"),
            video=video if isinstance(video, FileField) and video.filename else None,
            sound={"title": form.get("sound_title", ""), "author": form.get("sound_author", "")},
            template_id=field.int("template_id"), trend_id=field.int("trend_id"),
            trend_name=str(form["trend_name"]) if form.get("trend_name") else None,
            trend_hashtag=str(form["trend_hashtag"]) if form.get("trend_hashtag") else None)
        take = await takes.create_take(request.app[NODE], me, draft)
    except DomainError as exc:
        return await _new_take_form(request, str(form.get("template_id", "")), str(form.get("trend_id", "")),
                                    error=exc.message.removeprefix("Validation failed: "), http_status=exc.status)
    return redirect(f"/takes/{take.status_id}")
