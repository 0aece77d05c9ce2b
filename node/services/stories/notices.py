"""What stories tell people: notifications (replies, which also arrive as direct messages, reactions,
mentions, sticker answers, ended countdowns) and the tray's live events on the user stream,
`entativa.story.update` (a story the listener may see, rendered for them) and `entativa.story.delete`
(its id), new names so Mastodon apps ignore them."""

from __future__ import annotations

from typing import Any

from ... import streaming
from ...models import Account, Follow, StickerAnswer, Story, StoryNotification, StoryResponse, StorySticker
from ...runtime import Node
from . import audience

REPLY = "story_reply"
REACTION = "story_reaction"
MENTION = "story_mention"
ANSWER = "story_sticker_answer"
TYPES = (REPLY, REACTION, MENTION, ANSWER, "story_countdown_ended")


async def _notify(node: Node, recipient_id: int, kind: str, sender_id: int, story: Story, **extra: Any) -> None:
    from .. import notifications

    notification = await notifications.notify(node, recipient_id, kind, sender_id, **extra)
    if notification is not None and await Story.filter(id=story.id).exists():
        await StoryNotification.create(notification_id=notification.id, story_id=story.id)


async def _listeners(node: Node, story: Story) -> list[Account]:
    """Local accounts with an open user stream who may see the story."""
    return (await _listeners_of(node, {story.account_id})).get(story.account_id, [])


async def _listeners_of(node: Node, authors: set[int]) -> dict[int, list[Account]]:
    """For each author, their local followers (and themselves) with an open user stream here, in a query
    per few hundred authors: the expiry sweep tells the trays of thousands of stories at once. Nothing at
    all is read when nobody is listening."""
    if node.streams is None or not node.streams.active() or not authors:
        return {}
    wanted = list(authors)
    pairs = [(a, a) for a in wanted]
    for start in range(0, len(wanted), 500):
        pairs += await Follow.filter(target_account_id__in=wanted[start:start + 500]).values_list(
            "target_account_id", "account_id")
    listening = {f for _, f in pairs if streaming.listening(node, streaming.user_channel(f))}
    if not listening:
        return {}
    found = {a.id: a for a in await Account.filter(id__in=list(listening), domain="")}
    result: dict[int, list[Account]] = {}
    for author, follower in pairs:
        if follower in found:
            result.setdefault(author, []).append(found[follower])
    return result


def subscribe(node: Node) -> None:
    bus = node.bus

    @bus.on("story.created")
    async def on_created(story: Story) -> None:
        from ...api.entities.stories import story_entities

        author = await Account.get(id=story.account_id)
        for sticker in await StorySticker.filter(story_id=story.id, kind="mention"):
            mentioned = await Account.filter(uri=sticker.data.get("account_uri") or "-", domain="").first()
            if mentioned is not None and await audience.can_see(mentioned, story, node.clock.now()):
                await _notify(node, mentioned.id, MENTION, author.id, story)
        for viewer in await _listeners(node, story):
            if await audience.can_see(viewer, story, node.clock.now()):
                entity = (await story_entities(node, [story], viewer))[0]
                await streaming.publish(node, streaming.user_channel(viewer.id), "entativa.story.update", entity)

    async def gone(removed: list[tuple[int, int]]) -> None:
        """Tell open trays that these (story id, author id) stories are gone."""
        listeners = await _listeners_of(node, {author for _, author in removed})
        for story_id, author in removed:
            for viewer in listeners.get(author, ()):
                await streaming.publish(node, streaming.user_channel(viewer.id), "entativa.story.delete", str(story_id))

    @bus.on("story.deleted")
    async def on_deleted(story: Story) -> None:
        await gone([(story.id, story.account_id)])

    @bus.on("story.removed")
    async def on_removed(removed: list[tuple[int, int]]) -> None:
        await gone(removed)

    @bus.on("story.expired")
    async def on_expired(stories: list[Story]) -> None:
        await gone([(s.id, s.account_id) for s in stories])

    @bus.on("story.reacted")
    async def on_reacted(story: Story, response: StoryResponse) -> None:
        if story.local:
            await _notify(node, story.account_id, REACTION, response.account_id, story)

    @bus.on("story.replied")
    async def on_replied(story: Story, response: StoryResponse, **_: Any) -> None:
        from ...models import Status

        if story.local:
            status = await Status.filter(id=response.status_id).first() if response.status_id else None
            await _notify(node, story.account_id, REPLY, response.account_id, story, status=status)

    @bus.on("story.answered")
    async def on_answered(story: Story, sticker: StorySticker, answer: StickerAnswer, **_: Any) -> None:
        if story.local and sticker.kind != "countdown":
            await _notify(node, story.account_id, ANSWER, answer.account_id, story, subject=sticker.id)
