"""The reading pages: landing/home, explore, hashtags, profiles, a post with its comments, notifications
and saved posts. Each reads through the same services as the JSON API and renders its entities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ..api.activitypub import actor_response, status_response, wants_as2
from ..api.entities.accounts import account_entity, relationship_entities
from ..api.entities.tags import tag_entities
from ..api.keys import NODE
from ..api.pagination import requested_page
from ..api.params import Params
from ..i18n import gettext
from ..models import Account, Status, row_id
from ..search import trends
from ..services import account_extras, accounts, statuses, timelines, visibility
from ..services.paging import Page
from .render import shown_once, status_views
from .session import page, require_viewer, viewer
from .stories import profile_highlights, tray_views

routes = web.RouteTableDef()
PAGE_SIZE = 20


def _page(request: web.Request) -> Page:
    return requested_page(Params({"max_id": request.query.get("max_id")}), default=PAGE_SIZE, most=PAGE_SIZE)


def _older(request: web.Request, keys: Sequence[int], size: int = PAGE_SIZE) -> str | None:
    """The next page's link, when this page came back full."""
    if len(keys) < size:
        return None
    return str(request.rel_url.update_query(max_id=str(min(keys))))


async def _timeline(request: web.Request, rows: list[Status], keys: list[int], template: str,
                    **context: Any) -> web.Response:
    me = await viewer(request)
    return await page(request, template, statuses=shown_once(await status_views(request, rows, me)),
                      older=_older(request, keys), **context)


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    """Signed out: the landing page with the local timeline. Signed in: the home feed."""
    me = await viewer(request)
    if me is None:
        rows, keys = await timelines.public(None, _page(request), local=True)
        return await _timeline(request, rows, keys, "landing.html")
    rows, keys = await timelines.home(me, _page(request))
    tray = await tray_views(request, me)
    if rows or request.query.get("max_id"):
        return await _timeline(request, rows, keys, "home.html", tray=tray)
    return await _timeline(request, rows, keys, "home.html", tray=tray, **await _starting_points(request, me))


async def _starting_points(request: web.Request, me: Account) -> dict[str, Any]:
    """For an empty home feed: people to follow (the suggestions API's) and hashtags in use this week."""
    node = request.app[NODE]
    people = await account_extras.suggestions(me, 6)
    hot = await trends.trending(limit=8, offset=0, window_hours=168)
    return {"suggested_people": [(account_entity(node, a), why) for a, why in people],
            "suggested_tags": await tag_entities(node, [t.tag for t in hot], me)}


@routes.get("/explore")
@routes.get("/public")
async def explore(request: web.Request) -> web.Response:
    """The local public timeline."""
    me = await viewer(request)
    rows, keys = await timelines.public(me, _page(request), local=True)
    return await _timeline(request, rows, keys, "timeline.html", heading=gettext("Explore"), icon_name="explore",
                           subheading=gettext("Everything public on {name}, newest first.").format(
                               name=request.app[NODE].config.node.name))


@routes.get("/tags/{name}")
async def tag(request: web.Request) -> web.Response:
    """Public posts with a hashtag."""
    name = request.match_info["name"]
    me = await viewer(request)
    rows, keys = await timelines.hashtag(me, name, _page(request))
    return await _timeline(request, rows, keys, "timeline.html", heading=name, icon_name="hash",
                           subheading=gettext("Public posts tagged #{tag}.").format(tag=name),
                           empty=gettext("No posts tagged #{tag} yet.").format(tag=name))


@routes.get("/bookmarks")
async def bookmarks(request: web.Request) -> web.Response:
    """The signed-in person's saved posts."""
    me = await require_viewer(request)
    rows, keys = await timelines.bookmarks(me, _page(request))
    return await _timeline(request, rows, keys, "timeline.html", heading=gettext("Saved"), icon_name="bookmark",
                           subheading=gettext("Only you can see what you saved."), empty=gettext("Nothing saved yet."))


@routes.get(r"/@{acct:[^/]+}")
async def profile(request: web.Request) -> web.Response:
    """A profile: header, avatar, bio, fields, counts, follow button and posts."""
    node = request.app[NODE]
    me = await viewer(request)
    account = await accounts.lookup_acct(node, request.match_info["acct"])
    if wants_as2(request):  # a pasted profile link, resolved by another server (as Mastodon answers it)
        if not account.local:
            raise web.HTTPNotFound(reason=gettext("Record not found"))
        return await actor_response(request, account)
    # "Posts" leaves replies out as Mastodon's profile does; "Posts and replies" shows what the count counts
    with_replies = request.query.get("with_replies") == "1"
    rows, keys = await timelines.account_statuses(me, account.id, _page(request), exclude_replies=not with_replies)
    relationship = (await relationship_entities(me, [account.id]))[0] if me and me.id != account.id else None
    entity = account_entity(node, account)
    return await page(request, "profile.html", account=entity, relationship=relationship,
                      statuses=await status_views(request, rows, me), older=_older(request, keys),
                      alternate=account.uri, highlights=await profile_highlights(request, me, account),
                      with_replies=with_replies)


@routes.get(r"/@{acct:[^/]+}/{status_id:\d+}")
async def status_page(request: web.Request) -> web.Response:
    """A post with its media, poll and content warning, and its comments (the thread)."""
    node = request.app[NODE]
    me = await viewer(request)
    author = await accounts.lookup_acct(node, request.match_info["acct"])
    if wants_as2(request):  # only what we would serve at its /users/... URL, signed fetch rules included
        status = await Status.filter(id=row_id(request.match_info["status_id"]), account_id=author.id).first()
        if status is None or not author.local:
            raise web.HTTPNotFound(reason=gettext("Record not found"))
        return await status_response(request, author, status)
    status = await visibility.visible_status(me, request.match_info["status_id"])
    if status.account_id != author.id:
        raise web.HTTPNotFound(reason=gettext("Record not found"))
    if status.reblog_of_id is not None:  # a reblog's page is its original's
        original = await status.reblog_of
        owner = await original.account
        raise web.HTTPFound(f"/@{owner.acct()}/{original.id}")
    ancestors, descendants = await statuses.context(me, status)
    views = await status_views(request, [*ancestors, status, *descendants], me)
    return await page(request, "status.html", status=views[len(ancestors)], ancestors=views[:len(ancestors)],
                      descendants=views[len(ancestors) + 1:],
                      alternate=status.uri if status.visibility in ("public", "unlisted") else None)

