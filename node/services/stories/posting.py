"""Posting, deleting and expiring stories.

Posting folds the upload into the story (the story owns its files from then on) and records
`story.created` with the write, so federation and the tray's streams follow from the outbox. The expiry
sweep (every minute, node/jobs.py) moves the author's own expired stories to their archive (their files
stay: the archive and highlights show them) and deletes remote ones with their files; either way it
records `story.expired` so receiving servers are sent a Delete.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from ... import db, effects
from ...errors import ValidationFailed
from ...models import Account, HighlightItem, MediaAttachment, Story, StorySticker, snowflake
from ...models.story import AUDIENCES
from ...runtime import Node
from .. import media as media_service
from . import LIFETIME, stickers
from . import media as story_media

SWEEP_BATCH = 1000


@dataclass
class StoryDraft:
    media_id: int | None = None
    duration: float | None = None
    audience: str = "followers"
    can_reply: bool = True
    can_react: bool = True
    stickers: Any = None
    overlays: Any = None
    description: str = ""
    shared: list[stickers.StickerSpec] = field(default_factory=list)  # made by the service (a shared answer)
    extra: dict[str, Any] = field(default_factory=dict)


def story_uri(node: Node, account: Account, story_id: int) -> str:
    return f"{node.urls.actor(account.username)}/stories/{story_id}"


async def create_story(node: Node, account: Account, draft: StoryDraft) -> Story:
    """Validate everything first, then write the story, its stickers and its effect in one transaction."""
    if draft.audience not in AUDIENCES:
        raise ValidationFailed(f"Validation failed: audience must be one of {', '.join(AUDIENCES)}")
    now = node.clock.now()
    specs = [*await stickers.checked_stickers(draft.stickers, now), *draft.shared]
    overlays = stickers.checked_overlays(draft.overlays)
    if len(draft.description) > media_service.MAX_DESCRIPTION:
        raise ValidationFailed("Validation failed: Description is too long")
    chosen = await story_media.checked(node, account, draft.media_id, draft.duration)
    from ...activitypub import stories as federated

    await federated.prepare(node, account, draft.audience)  # which audience servers read stories
    media = chosen.attachment
    story_id = snowflake()
    uri = story_uri(node, account, story_id)
    story = Story(id=story_id, account_id=account.id, local=True, uri=uri, url=uri, media_type=media.type,
                  mime_type=media.mime_type, file_path=media.file_path, preview_path=media.preview_path,
                  width=media.width, height=media.height, blurhash=media.blurhash,
                  description=draft.description or media.description, duration=chosen.duration,
                  audience=draft.audience, can_reply=draft.can_reply, can_react=draft.can_react, overlays=overlays,
                  bearer_token=secrets.token_urlsafe(32), created_at=now, expires_at=now + LIFETIME)
    async with in_transaction():
        # The upload becomes the story's: nothing else can attach it, and expiry removes its files.
        if not await MediaAttachment.filter(id=media.id, status_id=None, scheduled_status_id=None).delete():
            raise ValidationFailed(f"Validation failed: Media attachment {media.id} not found or already used")
        await story.save(force_create=True)
        rows = []
        for position, spec in enumerate(specs):
            sticker_id = snowflake()
            rows.append(StorySticker(id=sticker_id, story_id=story.id, uri=f"{uri}/stickers/{sticker_id}",
                                     position=position, kind=spec.kind, placement=spec.placement, data=spec.data,
                                     ends_at=spec.ends_at))
        if rows:
            await StorySticker.bulk_create(rows)
        effect = await effects.record(node, "story.created", story=story)
    await effects.announce(node, "story.created", effect, story=story)
    return story


async def _remove_files(node: Node, stories: list[Story]) -> None:
    paths = [p for s in stories for p in (s.file_path, s.preview_path) if p]
    if paths:
        await media_service.remove_files(node, paths)


async def delete_story(node: Node, story: Story) -> None:
    """Delete a story everywhere (receivers are sent a Delete) with its stickers, answers and files."""
    async with in_transaction():
        effect = await effects.record(node, "story.deleted", story=story)
        await Story.filter(id=story.id).delete()
    await effects.announce(node, "story.deleted", effect, story=story)
    await _remove_files(node, [story])


async def forget_remote(node: Node, stories: list[Story]) -> None:
    """Remote stories gone from their server (or expired): rows and cached files."""
    if not stories:
        return
    await Story.filter(id__in=[s.id for s in stories], local=False).delete()
    await node.bus.publish("story.removed", removed=[(s.id, s.account_id) for s in stories])
    await _remove_files(node, [s for s in stories if not s.local])


# Expired remote stories go set-based, a batch per statement: one DELETE ... RETURNING picks them by the
# (expired, expires_at) index (remote rows are never marked expired: they are deleted) and hands back what
# the files and the live events need; their stickers, answers, views and audience rows go by the foreign
# keys' cascade. Nothing is hydrated into models: at 100,000 rows that was most of the sweep's time.
_SWEEP_REMOTE_SQL = ("DELETE FROM stories WHERE id IN (SELECT id FROM stories WHERE expired = 0 AND expires_at <= ? "
                     "AND local = 0 ORDER BY expires_at LIMIT ?) RETURNING id, account_id, file_path, preview_path")


async def _sweep_remote(now: datetime) -> list[tuple[int, int, str, str]]:
    if db.is_sqlite(Story):
        moment = now.isoformat(sep=" ")
        rows = await db.write(lambda connection: connection.execute(_SWEEP_REMOTE_SQL, (moment, SWEEP_BATCH)).fetchall())
        return [tuple(row) for row in rows]
    found = await Story.filter(local=False, expired=False, expires_at__lte=now).order_by("expires_at").limit(
        SWEEP_BATCH).values_list("id", "account_id", "file_path", "preview_path")
    if found:
        await Story.filter(id__in=[row[0] for row in found]).delete()
    return [tuple(row) for row in found]


async def expire(node: Node, now: datetime | None = None) -> int:
    """Sweep every story past its expiry, a batch at a time; returns how many were swept. The author's own
    move to their archive (with a Delete for every server that received them); remote ones are deleted
    with their cached files."""
    now = now or node.clock.now()
    swept = 0
    while True:
        local = await Story.filter(local=True, expired=False, expires_at__lte=now).order_by("id").limit(SWEEP_BATCH)
        if local:
            async with in_transaction():
                await Story.filter(id__in=[s.id for s in local]).update(expired=True)
                effect = await effects.record(node, "story.expired", stories=local)
            await effects.announce(node, "story.expired", effect, stories=local)
            swept += len(local)
        remote = await _sweep_remote(now)
        if remote:
            paths = [p for row in remote for p in row[2:] if p]
            if paths:
                await media_service.remove_files(node, paths)
            await node.bus.publish("story.removed", removed=[(row[0], row[1]) for row in remote])
            swept += len(remote)
        if len(local) < SWEEP_BATCH and len(remote) < SWEEP_BATCH:
            return swept


async def kept(story_id: int) -> bool:
    """Whether an expired story is still shown somewhere (a highlight): the archive keeps it either way."""
    return await HighlightItem.filter(story_id=story_id).exists()
