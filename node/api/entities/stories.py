"""Story, sticker, tray entry, viewer, insights and highlight entities (our extension of the Mastodon API).

Stories render in batches: a tray of hundreds of accounts costs the same handful of queries as one story.
What a viewer may read of a sticker is decided in node/services/stories/stickers.py: a quiz's correct
option and the poll, quiz and slider results only once they answered; question and add-yours answers only
for the author, who also sees who chose what. A remote story's results live on its author's server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Account, StickerAnswer, Story, StorySticker, StoryView
from ...runtime import Node
from ...services.stories import answers as sticker_answers
from ...services.stories import highlights as highlight_service
from ...services.stories import stickers as sticker_rules
from ...services.stories import tray as tray_service
from ...services.stories import viewing
from ...urls import Urls
from .accounts import account_entity
from .common import iso


def media_entity(node: Node, story: Story, urls: Urls | None = None) -> dict[str, Any]:
    urls = urls or node.urls
    url = urls.media(story.file_path) if story.file_path else story.remote_url
    original: dict[str, Any] = {}
    if story.width and story.height:
        original = {"width": story.width, "height": story.height, "size": f"{story.width}x{story.height}",
                    "aspect": story.width / story.height}
    if story.media_type == "video":
        original["duration"] = story.duration
    return {"id": str(story.id), "type": story.media_type, "url": url,
            "preview_url": urls.media(story.preview_path) if story.preview_path else url,
            "remote_url": story.remote_url or None, "meta": {"original": original} if original else {},
            "description": story.description or None, "blurhash": story.blurhash}


def _public_data(sticker: StorySticker, reveal: bool) -> dict[str, Any]:
    data = {k: v for k, v in sticker.data.items() if k not in ("correct_option", "account_uri")}
    if sticker.kind == "quiz" and reveal:
        data["correct_option"] = sticker.data.get("correct_option")
    return data


def answer_entity(node: Node, sticker: StorySticker, answer: StickerAnswer, account: Account | None) -> dict[str, Any]:
    shown = sticker_rules.own_answer(sticker, answer) or {}
    return {"id": str(answer.id), "account": account_entity(node, account) if account else None, **shown,
            "created_at": iso(answer.created_at)}


async def results_entity(node: Node, sticker: StorySticker, results: dict[str, Any]) -> dict[str, Any]:
    """Results from the service, with the author's list of who answered what rendered."""
    shown = {k: v for k, v in results.items() if k != "answers"}
    if "answers" in results:
        rows: list[StickerAnswer] = results["answers"]
        accounts = {a.id: a for a in await Account.filter(id__in=[r.account_id for r in rows])}
        shown["answers"] = [answer_entity(node, sticker, r, accounts.get(r.account_id)) for r in rows]
    return shown


def sticker_entity(sticker: StorySticker, story: Story, viewer: Account | None, mine: StickerAnswer | None,
                   results: dict[str, Any] | None) -> dict[str, Any]:
    is_author = viewer is not None and viewer.id == story.account_id
    entity = {"id": str(sticker.id), "type": sticker.kind, "position": sticker.placement,
              **_public_data(sticker, is_author or mine is not None),
              "own_answer": sticker_rules.own_answer(sticker, mine), "results": results}
    return entity


async def story_entities(node: Node, stories: Sequence[Story], viewer: Account | None, *,
                         accounts: dict[int, dict[str, Any]] | None = None,
                         seen: set[int] | None = None,
                         extras: tray_service.Extras | None = None) -> list[dict[str, Any]]:
    """Story entities; `accounts` (rendered, by id), `seen`, and `extras` (the stories' stickers and the
    viewer's answers to them) when the caller has read them already."""
    if not stories:
        return []
    ids = [s.id for s in stories]
    if accounts is None:
        accounts = {a.id: account_entity(node, a) for a in await Account.filter(id__in={s.account_id for s in stories})}
    all_stickers = extras.stickers if extras is not None else await StorySticker.filter(
        story_id__in=ids).order_by("story_id", "position")
    by_story: dict[int, list[StorySticker]] = {}
    for sticker in all_stickers:
        by_story.setdefault(sticker.story_id, []).append(sticker)
    mine: dict[int, StickerAnswer] = {}
    if viewer is not None:
        if extras is not None:
            mine = extras.answers
        elif all_stickers:
            mine = {a.sticker_id: a for a in await StickerAnswer.filter(
                account_id=viewer.id, sticker_id__in=[s.id for s in all_stickers])}
        if seen is None:
            seen = await tray_service.seen_ids(viewer, ids)
    seen = seen or set()
    own = [s.id for s in stories if viewer is not None and s.account_id == viewer.id]
    counts = await viewing.viewers_counts(own)
    # Results the viewer may read now, counted here for local stories (the author's node is authoritative).
    readable = [s for s in all_stickers if s.kind in sticker_rules.ANSWERABLE]
    story_of = {s.id: s for s in stories}
    readable = [s for s in readable if story_of[s.story_id].local and sticker_rules.may_see_results(
        s, viewer is not None and viewer.id == story_of[s.story_id].account_id, s.id in mine)
        and s.kind not in ("question", "add_yours")]
    counted = await sticker_answers.tallies(readable)
    result = []
    urls, now = node.urls, node.clock.now()  # once, not per story: a tray renders hundreds
    for story in stories:
        stickers_shown = []
        for sticker in by_story.get(story.id, []):
            results = counted.get(sticker.id)
            stickers_shown.append(sticker_entity(sticker, story, viewer, mine.get(sticker.id), results))
        entity: dict[str, Any] = {
            "id": str(story.id), "uri": story.uri, "url": story.url or story.uri,
            "account": accounts.get(story.account_id), "media_attachment": media_entity(node, story, urls),
            "duration": story.duration, "audience": story.audience, "overlays": story.overlays,
            "stickers": stickers_shown, "can_reply": story.can_reply, "can_react": story.can_react,
            "seen": story.id in seen, "created_at": iso(story.created_at), "expires_at": iso(story.expires_at),
            "expired": story.expired or story.expires_at <= now,
            "add_yours": {"sticker_uri": story.add_yours_uri, "originator_uri": story.add_yours_author_uri}
            if story.add_yours_uri else None,
        }
        if story.id in counts or story.id in own:
            entity["viewers_count"] = counts.get(story.id, 0)
        result.append(entity)
    return result


async def tray_entities(node: Node, entries: Sequence[tray_service.TrayEntry], viewer: Account,
                        extras: tray_service.Extras | None = None) -> list[dict[str, Any]]:
    """The tray; `extras` when the tray's read fetched the stickers and answers along (SQLite)."""
    stories = [s for e in entries for s in e.stories]
    accounts = {e.account.id: account_entity(node, e.account) for e in entries}
    seen = {i for e in entries for i in (e.seen_ids or ())} if all(e.seen_ids is not None for e in entries) else None
    rendered = {e["id"]: e for e in await story_entities(node, stories, viewer, accounts=accounts, seen=seen,
                                                         extras=extras)}
    return [{"account": accounts[e.account.id], "stories": [rendered[str(s.id)] for s in e.stories],
             "seen": e.seen, "last_story_at": iso(e.last_story_at), "close_friends": e.close_friends}
            for e in entries]


def viewer_entity(node: Node, account: Account, view: StoryView) -> dict[str, Any]:
    return {"account": account_entity(node, account), "views": view.views, "completed": view.completed,
            "first_viewed_at": iso(view.created_at), "last_viewed_at": iso(view.updated_at)}


async def insights_entity(node: Node, story: Story, insights: dict[str, Any]) -> dict[str, Any]:
    stickers = [{"id": str(sticker.id), "type": sticker.kind, "results": await results_entity(node, sticker, results)}
                for sticker, results in insights["stickers"]]
    return {"id": str(story.id), **{k: v for k, v in insights.items() if k != "stickers"}, "stickers": stickers}


async def highlight_entities(node: Node, shown: Sequence[highlight_service.Shown],
                             viewer: Account | None) -> list[dict[str, Any]]:
    stories = [s for h in shown for s in h.stories]
    rendered = {e["id"]: e for e in await story_entities(node, stories, viewer)}
    result = []
    for item in shown:
        cover = next((s for s in item.stories if s.id == item.highlight.cover_story_id), item.stories[0])
        result.append({"id": str(item.highlight.id), "title": item.highlight.title,
                       "cover_story_id": str(cover.id), "cover_url": media_entity(node, cover)["preview_url"],
                       "stories": [rendered[str(s.id)] for s in item.stories],
                       "created_at": iso(item.highlight.created_at), "updated_at": iso(item.highlight.updated_at)})
    return result
