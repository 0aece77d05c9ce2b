"""/api/v1/stories (extension): post a story (image or video from /api/v2/media, duration, audience,
reply and reaction switches, stickers, text overlays), the tray, one account's stories, read and delete,
report a view, who viewed, reply, react, answer a sticker, a sticker's results, insights and the archive."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..activitypub import stories as federated
from ..errors import ValidationFailed
from ..services import accounts
from ..services.stories import answers, audience, posting, tray, viewing
from .auth import require_account
from .endpoint import ID, OBJECT, PAGE, endpoint, required
from .entities.stories import (
    insights_entity,
    results_entity,
    story_entities,
    tray_entities,
    viewer_entity,
)
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params
from .responses import json_response

routes = web.RouteTableDef()
BASE = "/api/v1/stories"
ONE = BASE + r"/{id:\d+}"


def json_list(params: Params, name: str) -> Any:
    """A list given as JSON (or a JSON string, as a form field): stickers[] and overlays[] are objects."""
    import json

    value = params.raw(name)  # `stickers[]=...` form fields arrive here too (node/api/params.py nests them)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationFailed(f"Validation failed: {name} must be a JSON list") from None
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
    return value


def duration_param(params: Params) -> float | None:
    value = params.raw("duration")
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationFailed("Validation failed: duration must be a number of seconds") from None


async def one_story(request: web.Request, story: Any, viewer: Any) -> web.Response:
    return json_response((await story_entities(request.app[NODE], [story], viewer))[0])


@routes.post(BASE)
@endpoint(params={"media_id": ID, "duration": float, "audience": str, "can_reply": bool, "can_react": bool,
                  "stickers": [OBJECT], "overlays": [OBJECT], "description": str})
async def create(request: web.Request) -> web.Response:
    """Post a story: `media_id` (an image or a video of at most 60 s from /api/v2/media), `duration`
    (seconds an image is shown, 1-15, default 5), `audience` (`followers` or `close_friends`),
    `can_reply`, `can_react`, `stickers` (a list of `{type, position: {x, y, width, height, rotation}, ...}`:
    poll, quiz, question, countdown, slider, add_yours, mention, hashtag, location, link) and `overlays`
    (a list of `{text, color, position}`). Expires 24 hours later."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    draft = posting.StoryDraft(media_id=params.int("media_id"), duration=duration_param(params),
                               audience=params.str("audience", "followers") or "followers",
                               can_reply=params.bool("can_reply", True), can_react=params.bool("can_react", True),
                               stickers=json_list(params, "stickers"), overlays=json_list(params, "overlays"),
                               description=params.str("description", "", max_length=1500) or "")
    story = await posting.create_story(request.app[NODE], account, draft)
    return await one_story(request, story, account)


@routes.get(BASE)
@endpoint(returns=list)
async def tray_of(request: web.Request) -> web.Response:
    """The tray: `[{account, stories, seen, last_story_at, close_friends}]` for me and the accounts I follow
    with active stories I may see; mine first, then unseen before seen, then most recent first."""
    account = await require_account(request, "read:statuses")
    node = request.app[NODE]
    entries, extras = await tray.tray_with_extras(node, account)
    return json_response(await tray_entities(node, entries, account, extras))


@routes.get(BASE + "/archive")
@endpoint(params=PAGE, returns=list)
async def archive(request: web.Request) -> web.Response:
    """Every story I posted that is kept (expired ones too), newest first; paged like Mastodon's lists."""
    account = await require_account(request, "read:statuses")
    params = await read_params(request)
    rows, keys = await tray.archive(account, requested_page(params))
    return paged_response(request, await story_entities(request.app[NODE], rows, account), keys)


@routes.get("/api/v1/accounts/{id}/stories")
@endpoint(returns=list)
async def of_account(request: web.Request) -> web.Response:
    """An account's active stories that I may see, oldest first."""
    viewer = await require_account(request, "read:statuses")
    node = request.app[NODE]
    target = await accounts.get_account(request.match_info["id"])
    return json_response(await story_entities(node, await tray.account_stories(node, viewer, target.id), viewer))


@routes.get(ONE)
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One story I may see (my own also after it expired); 404 otherwise."""
    viewer = await require_account(request, "read:statuses")
    story = await audience.visible_story(request.app[NODE], viewer, request.match_info["id"])
    return await one_story(request, story, viewer)


@routes.delete(ONE)
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete my story everywhere (receiving servers are sent a Delete); answers the story as it was."""
    account = await require_account(request, "write:statuses")
    node = request.app[NODE]
    story = await audience.own_story(account, request.match_info["id"])
    entity = (await story_entities(node, [story], account))[0]
    await posting.delete_story(node, story)
    return json_response(entity)


@routes.post(ONE + "/view")
@endpoint(params={"action": str, "completed": bool})
async def view(request: web.Request) -> web.Response:
    """Report a view when leaving the story: `action` (`next`, `back` or `exit`: how the viewer left it)
    and `completed` (shown to the end). Answers `{id, seen}`."""
    viewer = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story = await audience.visible_story(node, viewer, request.match_info["id"])
    action = params.str("action", choices=viewing.ACTIONS)
    await viewing.record_view(node, viewer, story, action, params.bool("completed"))
    return json_response({"id": str(story.id), "seen": True})


@routes.get(ONE + "/viewers")
@endpoint(returns=list)
async def viewers(request: web.Request) -> web.Response:
    """Who viewed my story (local and remote accounts), most recent first."""
    account = await require_account(request, "read:statuses")
    node = request.app[NODE]
    story = await audience.own_story(account, request.match_info["id"])
    return json_response([viewer_entity(node, a, v) for a, v in await viewing.viewers(story)])


@routes.post(ONE + "/reply")
@endpoint(params={"status": required(str)})
async def reply(request: web.Request) -> web.Response:
    """Reply with `status` (text): a direct message to the author, threaded to the story."""
    viewer = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story = await audience.visible_story(node, viewer, request.match_info["id"])
    response = await viewing.reply(node, viewer, story, params.str("status", required=True))
    return json_response({"id": str(response.id), "story_id": str(story.id), "status_id": str(response.status_id)})


@routes.post(ONE + "/react")
@endpoint(params={"emoji": required(str)})
async def react(request: web.Request) -> web.Response:
    """React with `emoji`; the author is notified."""
    viewer = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story = await audience.visible_story(node, viewer, request.match_info["id"])
    response = await viewing.react(node, viewer, story, params.str("emoji", required=True))
    return json_response({"id": str(response.id), "story_id": str(story.id), "emoji": response.emoji})


@routes.post(ONE + r"/stickers/{sticker_id:\d+}/answer")
@endpoint(params={"choice": int, "text": str, "value": float, "subscribe": bool, "story_id": ID})
async def answer(request: web.Request) -> web.Response:
    """Answer a sticker, by kind: poll and quiz `choice` (an option's index, final), slider `value` (0-1),
    question `text`, countdown `subscribe` (true or false), add_yours `story_id` (a story of mine). One
    answer per viewer per sticker; slider, question and add_yours answers may be changed. Answers the
    sticker as I now see it (a quiz reveals its correct option)."""
    viewer = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story = await audience.visible_story(node, viewer, request.match_info["id"])
    sticker = await answers.sticker_of(story, request.match_info["sticker_id"])
    given = answers.AnswerInput(choice=params.raw("choice"), text=params.raw("text"), value=params.raw("value"),
                                subscribe=params.raw("subscribe"), story_id=params.raw("story_id"))
    await answers.answer(node, viewer, story, sticker, given)
    entity = (await story_entities(node, [story], viewer))[0]
    return json_response(next(s for s in entity["stickers"] if s["id"] == str(sticker.id)))


@routes.get(ONE + r"/stickers/{sticker_id:\d+}/results")
@endpoint()
async def results(request: web.Request) -> web.Response:
    """A sticker's results: poll and quiz `{options: [{title, votes_count}], answers_count, own_answer}`
    (quiz adds `correct_option`; the author also gets `answers`: who chose what), slider `{average,
    answers_count, own_answer}`, question and add_yours `answers` (author only), countdown
    `subscribers_count`. Viewers see poll, quiz and slider results once they answered (403 before). For a
    remote story they are read from the author's server, which holds them."""
    viewer = await require_account(request, "read:statuses")
    node = request.app[NODE]
    story = await audience.visible_story(node, viewer, request.match_info["id"])
    sticker = await answers.sticker_of(story, request.match_info["sticker_id"])
    if not story.local:
        return json_response(await federated.remote_results(node, viewer, story, sticker))
    return json_response(await results_entity(node, sticker, await answers.results(story, sticker, viewer)))


@routes.get(ONE + "/insights")
@endpoint()
async def insights(request: web.Request) -> web.Response:
    """My story's insights: views, unique viewers, completion rate, taps forward and back, exits, replies,
    reactions, every sticker's results, and `reach` (unique viewers per day across my last 30 days)."""
    account = await require_account(request, "read:statuses")
    node = request.app[NODE]
    story = await audience.own_story(account, request.match_info["id"])
    return json_response(await insights_entity(node, story, await viewing.insights(node, story)))
