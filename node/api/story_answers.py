"""/api/v1/stories/:id/stickers/:sticker_id/answers/:answer_id (extension): the author of a question
sticker replies privately to one answer (a direct message to the answerer) or shares it as a new story
(the question and the answer on a card, without the answerer's name)."""

from __future__ import annotations

from aiohttp import web

from ..services.stories import answers, audience, posting, question_answers
from .auth import require_account
from .endpoint import ID, OBJECT, endpoint, required
from .entities.statuses import status_entity
from .keys import NODE
from .params import read_params
from .responses import json_response
from .stories import duration_param, json_list, one_story

routes = web.RouteTableDef()
ANSWER = r"/api/v1/stories/{id:\d+}/stickers/{sticker_id:\d+}/answers/{answer_id:\d+}"


async def _answer(request: web.Request, account):  # type: ignore[no-untyped-def]
    story = await audience.own_story(account, request.match_info["id"])
    sticker = await answers.sticker_of(story, request.match_info["sticker_id"])
    return story, sticker, await question_answers.answer_of(story, sticker, request.match_info["answer_id"])


@routes.post(ANSWER + "/reply")
@endpoint(params={"status": required(str)})
async def reply(request: web.Request) -> web.Response:
    """Reply to an answer of my question sticker with `status`: a direct message to whoever answered (on any
    server), quoting the question and their answer. Answers the status."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    _, sticker, answer = await _answer(request, account)
    status = await question_answers.reply(node, account, sticker, answer, params.str("status", required=True))
    return json_response(await status_entity(node, status, account))


@routes.post(ANSWER + "/share")
@endpoint(params={"media_id": ID, "duration": float, "audience": str, "can_reply": bool, "can_react": bool,
                  "stickers": [OBJECT], "overlays": [OBJECT]})
async def share(request: web.Request) -> web.Response:
    """Share an answer of my question sticker as a new story: a `shared_answer` sticker shows the question
    and the answer (never who answered). The background is `media_id`, or a copy of the question story's
    media; the other fields are as for POST /api/v1/stories. Answers the new story."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    node = request.app[NODE]
    story, sticker, answer = await _answer(request, account)
    draft = posting.StoryDraft(media_id=params.int("media_id"), duration=duration_param(params),
                               audience=params.str("audience", "followers") or "followers",
                               can_reply=params.bool("can_reply", True), can_react=params.bool("can_react", True),
                               stickers=json_list(params, "stickers"), overlays=json_list(params, "overlays"))
    made = await question_answers.share(node, account, story, sticker, answer, draft)
    return await one_story(request, made, account)
