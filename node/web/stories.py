"""The Stories pages: the tray (rendered into the home page), the full-screen viewer (an account's stories,
the tray in order, or a highlight), the composer, and for the author the viewers, insights, archive and
close-friends pages. Lists render the API's own entities; the viewer, the composer and the close-friends
switches are static/stories/*.js calling the JSON API with the session (as the other pages' scripts do)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..activitypub import stories as federated
from ..api.entities.accounts import account_entity
from ..api.entities.stories import (
    highlight_entities,
    insights_entity,
    story_entities,
    tray_entities,
    viewer_entity,
)
from ..api.keys import NODE
from ..api.pagination import requested_page
from ..api.params import Params
from ..errors import DomainError
from ..models import Account, Follow, parse_id
from ..services import accounts
from ..services.stories import audience, highlights, tray, viewing
from .session import page, require_viewer

routes = web.RouteTableDef()
ARCHIVE_PAGE = 30
FRIEND_CANDIDATES = 200


async def tray_views(request: web.Request, me: Account | None) -> list[dict[str, Any]]:
    """The home page's tray: the API's tray entities (mine first, then unseen, then most recent)."""
    if me is None:
        return []
    node = request.app[NODE]
    entries, extras = await tray.tray_with_extras(node, me)
    return await tray_entities(node, entries, me, extras)


async def profile_highlights(request: web.Request, me: Account | None, account: Account) -> list[dict[str, Any]]:
    """A profile's highlights as the viewer may see them; a remote account's read from its server's public
    collection (held a while; none shown when that server cannot be reached), each played by our viewer."""
    node = request.app[NODE]
    if not account.local:
        try:
            found = await federated.remote_highlights(node, account)
        except DomainError:
            return []
        return [{**h, "url": f"/accounts/{account.id}/highlights/{n}"} for n, h in enumerate(found)]
    return await highlight_entities(node, await highlights.of_account(me, account), me)


@routes.get("/stories/new")
async def composer(request: web.Request) -> web.Response:
    """The composer: pick a photo or video, place stickers and text on it, choose who sees it. Opened from
    an "add yours" sticker (`answers=<story_id>:<sticker_id>`) the new story answers that prompt."""
    await require_viewer(request)
    story_id, _, sticker_id = request.query.get("answers", "").partition(":")
    answers = f"{story_id}:{sticker_id}" if parse_id(story_id) and parse_id(sticker_id) else ""
    return await page(request, "story_new.html", answers=answers)


@routes.get(r"/stories/watch/{account_id:\d+}")
async def watch(request: web.Request) -> web.Response:
    """The viewer on one account's active stories, going on through the tray after them."""
    await require_viewer(request)
    account = await accounts.get_account(request.match_info["account_id"])
    return await page(request, "story_viewer.html", source="tray", account_id=str(account.id), highlight_id="")


@routes.get(r"/accounts/{account_id:\d+}/highlights/{index:\d+}")
async def remote_highlight(request: web.Request) -> web.Response:
    """The viewer on a remote account's highlight (by its place in their collection)."""
    await require_viewer(request)
    account = await accounts.get_account(request.match_info["account_id"])
    return await page(request, "story_viewer.html", source="account-highlight", account_id=str(account.id),
                      highlight_id=request.match_info["index"])


@routes.get(r"/highlights/{highlight_id:\d+}")
async def highlight(request: web.Request) -> web.Response:
    """The viewer on a highlight (public, as the profile is)."""
    await require_viewer(request)
    return await page(request, "story_viewer.html", source="highlight", account_id="",
                      highlight_id=request.match_info["highlight_id"])


@routes.get(r"/highlights/{highlight_id:\d+}/edit")
async def edit_highlight(request: web.Request) -> web.Response:
    """My highlight's editor: rename it, pick its cover, add or remove stories (its own and my archive's
    most recent), delete it. The form calls PUT and DELETE /api/v1/highlights/:id."""
    me = await require_viewer(request)
    node = request.app[NODE]
    highlight = await highlights.own(me, request.match_info["highlight_id"])
    chosen = await highlights.story_ids(highlight)
    recent, _ = await tray.archive(me, requested_page(Params({}), default=ARCHIVE_PAGE, most=ARCHIVE_PAGE))
    rows = {s.id: s for s in await highlights.own_stories(me, chosen)}
    shown = [rows[i] for i in chosen if i in rows] + [s for s in recent if s.id not in rows]
    return await page(request, "highlight_edit.html", highlight=highlight, chosen={str(i) for i in chosen},
                      cover=str(highlight.cover_story_id or ""), stories=await story_entities(node, shown, me))


@routes.get("/stories/archive")
async def archive(request: web.Request) -> web.Response:
    """Every story I posted that is kept, expired ones too, newest first, with their viewers and insights."""
    me = await require_viewer(request)
    node = request.app[NODE]
    wanted = requested_page(Params({"max_id": request.query.get("max_id")}), default=ARCHIVE_PAGE, most=ARCHIVE_PAGE)
    rows, keys = await tray.archive(me, wanted)
    older = str(request.rel_url.update_query(max_id=str(min(keys)))) if len(keys) == ARCHIVE_PAGE else None
    mine = await highlight_entities(node, await highlights.of_account(me, me), me)
    return await page(request, "story_archive.html", stories=await story_entities(node, rows, me), older=older,
                      highlights=mine)


@routes.get(r"/stories/{story_id:\d+}/viewers")
async def viewers(request: web.Request) -> web.Response:
    """Who saw my story, most recent first."""
    me = await require_viewer(request)
    node = request.app[NODE]
    story = await audience.own_story(me, request.match_info["story_id"])
    seen = [viewer_entity(node, a, v) for a, v in await viewing.viewers(story)]
    return await page(request, "story_viewers.html", story=(await story_entities(node, [story], me))[0], viewers=seen)


@routes.get(r"/stories/{story_id:\d+}/insights")
async def insights(request: web.Request) -> web.Response:
    """My story's numbers: views, completion, taps, replies, reactions, sticker results and reach."""
    me = await require_viewer(request)
    node = request.app[NODE]
    story = await audience.own_story(me, request.match_info["story_id"])
    found = await insights_entity(node, story, await viewing.insights(node, story))
    entity = (await story_entities(node, [story], me))[0]
    stickers = {s["id"]: s for s in entity["stickers"]}
    for item in found["stickers"]:
        item["sticker"] = stickers.get(item["id"], {})
    return await page(request, "story_insights.html", story=entity, insights=found)


@routes.get("/stories/close-friends")
async def close_friends(request: web.Request) -> web.Response:
    """My close friends, and the people I follow to add (switches call /api/v1/close_friends)."""
    me = await require_viewer(request)
    node = request.app[NODE]
    friends = await audience.close_friends(me)
    listed = {a.id for a in friends}
    followed = await Follow.filter(account_id=me.id).order_by("-id").limit(FRIEND_CANDIDATES).values_list(
        "target_account_id", flat=True)
    others = [a for a in await Account.filter(id__in=[i for i in followed if i not in listed], suspended_at=None)]
    people = [{"account": account_entity(node, a), "close": True} for a in friends]
    people += [{"account": account_entity(node, a), "close": False}
               for a in sorted(others, key=lambda a: a.username.lower())]
    return await page(request, "story_close_friends.html", people=people, count=len(friends))
