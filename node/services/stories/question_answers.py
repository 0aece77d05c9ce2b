"""What the author does with a question sticker's answers: reply privately (a direct message to the
answerer, local or remote, that quotes the question and the answer, as Instagram's reply opens a chat
on the answer's card) or share one as a new story whose card shows the question and the answer text,
never the answerer's name (Instagram's shared answers are anonymous too)."""

from __future__ import annotations

from typing import Any

from ...errors import NotFound, ValidationFailed
from ...models import Account, MediaAttachment, StickerAnswer, Story, StorySticker, row_id
from ...runtime import Node
from .. import media as media_service
from .. import statuses
from . import media as story_media
from . import posting, stickers

MAX_REPLY = 500
CARD = {"x": 0.5, "y": 0.45, "width": 0.8, "height": 0.3, "rotation": 0.0}


async def answer_of(story: Story, sticker: StorySticker, answer_id: int | str) -> StickerAnswer:
    """An answer to my question sticker (the caller checked the story is mine)."""
    if sticker.kind != "question":
        raise ValidationFailed("Validation failed: Only a question sticker's answers can be replied to or shared")
    found = await StickerAnswer.filter(id=row_id(answer_id), sticker_id=sticker.id).first()
    if found is None or not found.text:
        raise NotFound("Answer not found")
    return found


def _quoted(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def reply(node: Node, author: Account, sticker: StorySticker, answer: StickerAnswer, text: str | None) -> Any:
    """A direct message to the answerer; answers the status."""
    text = (text or "").strip()
    if not text or len(text) > MAX_REPLY:
        raise ValidationFailed(f"Validation failed: status must be 1 to {MAX_REPLY} characters")
    answerer = await Account.filter(id=answer.account_id, suspended_at=None).first()
    if answerer is None:
        raise NotFound("The answer's author is gone")
    handle = f"@{answerer.username}" if answerer.local else f"@{answerer.username}@{answerer.domain}"
    context = f"“{_quoted(sticker.data.get('prompt', ''))}” · you said “{_quoted(answer.text or '')}”"
    draft = statuses.Draft(text=f"{handle} {text}\n\n{context}", visibility="direct")
    return await statuses.create_status(node, author, draft)


async def share(node: Node, author: Account, story: Story, sticker: StorySticker, answer: StickerAnswer,
                draft: posting.StoryDraft) -> Story:
    """A new story carrying the question and the answer as a card. Its background is the upload in
    `draft.media_id`, or else a copy of the question story's own media."""
    card = stickers.StickerSpec("shared_answer", dict(CARD),
                                {"prompt": sticker.data.get("prompt", ""), "text": answer.text or ""})
    draft.shared = [card]
    if draft.media_id is not None:
        return await posting.create_story(node, author, draft)
    copy = await story_media.copy_of(node, author, story)
    draft.media_id = copy.id
    if story.media_type == "image" and draft.duration is None:
        draft.duration = story.duration
    try:
        return await posting.create_story(node, author, draft)
    except BaseException:  # a refused story leaves no stray copy behind
        await media_service.delete_files(node, [copy])
        await MediaAttachment.filter(id=copy.id).delete()
        raise
