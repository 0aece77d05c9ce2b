"""/about (the rules, the extended description, the moderated servers), /privacy-policy and /terms: the
pages the instance API's urls point to, read through the same services."""

from __future__ import annotations

from datetime import UTC, date

from aiohttp import web

from ..api.entities.announcements import document_entity, terms_entity
from ..api.instance_info import DEFAULT_POLICY_DATE, DEFAULT_PRIVACY_POLICY
from ..api.keys import NODE
from ..errors import NotFound
from ..i18n import format_date, gettext
from ..services import instance, instance_info, markdown
from .session import page, viewer

routes = web.RouteTableDef()


@routes.get("/about")
async def about(request: web.Request) -> web.Response:
    """What this server is, who runs it, its rules and the servers it moderates."""
    node = request.app[NODE]
    me = await viewer(request)
    extended = await instance_info.text_of("extended_description")
    return await page(
        request,
        "about.html",
        rules=await instance_info.rules(),
        extended=markdown.render(instance_info.with_domain(node, extended.text)) if extended else "",
        contact=await instance.contact_account(),
        has_terms=await instance_info.has_terms(),
        domain_blocks=await instance_info.visible_domain_blocks(node, me is not None),
    )


@routes.get("/privacy-policy")
async def privacy_policy(request: web.Request) -> web.Response:
    """The privacy policy (the default one until an admin writes one)."""
    node = request.app[NODE]
    row = await instance_info.text_of("privacy_policy")
    text, updated = (
        (row.text, row.updated_at)
        if row and row.text.strip()
        else (DEFAULT_PRIVACY_POLICY, DEFAULT_POLICY_DATE)
    )
    body = document_entity(node, text, updated)["content"]
    return await page(
        request,
        "instance_document.html",
        heading=gettext("Privacy policy"),
        body=body,
        updated=gettext("Last updated {date}").format(date=format_date(updated, "d MMMM y")),
        later=None,
    )


@routes.get("/terms")
@routes.get("/terms/{date}")
async def terms(request: web.Request) -> web.Response:
    """The terms of service in effect (or the version of a given day), and when newer ones take effect."""
    node = request.app[NODE]
    on = None
    if "date" in request.match_info:
        try:
            on = date.fromisoformat(request.match_info["date"])
        except ValueError:
            raise NotFound() from None
    version = await instance_info.current_terms(node, on)
    today = node.clock.now().astimezone(UTC).date()
    following = await instance_info.successor(version)
    entity = terms_entity(node, version, today, following)
    when = format_date(version.effective_date, "d MMMM y")
    state = (gettext("In effect since {date}") if entity["effective"] else gettext("Takes effect on {date}")).format(date=when)
    return await page(
        request,
        "instance_document.html",
        heading=gettext("Terms of service"),
        body=entity["content"],
        updated=state,
        later=format_date(following.effective_date, "d MMMM y") if following else None,
    )
