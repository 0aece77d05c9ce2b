"""Which domain events reach which streams, as Mastodon's fan-out sends them.

- A new status: `update` to the home stream of each listening account whose home feed has it (blocks and
  mutes of its author or mentioned accounts drop it, and so does the author's being on one of the reader's
  exclusive lists, as the home timeline does; the reader's home filters apply as they do there); if it is public and not a
  reblog, to the public streams (local or remote, and the media ones when it has media; not replies to
  other people) and to its hashtags' streams, unless an admin silenced its server. A reblog goes to the
  reblogger's followers' home streams only. Local and federated statuses alike.
- An edit: `status.update` to the same streams. A deletion: `delete` (the bare id) to the home streams that
  had it, the direct streams of a direct status's audience, and the public and hashtag streams.
- A notification: `notification` to its account's notification channel (the user and user:notification
  streams).

Each payload is rendered once per way of seeing it: once for the public streams (as nobody, as Mastodon's),
once for every reader besides the author (their favourited/reblogged/bookmarked flags read in one query
each), individually only for the author, reblogs and polls.
"""

from __future__ import annotations

from typing import Any

from ..activitypub import moderation
from ..api.entities.filters import apply as apply_filters
from ..api.entities.notifications import notification_entities
from ..api.entities.statuses import status_entities
from ..models import (
    Account,
    Bookmark,
    Favourite,
    HomeFeedEntry,
    MediaAttachment,
    Mention,
    Notification,
    Status,
    StatusTag,
)
from ..runtime import Node
from ..services import feeds, filters, lists, visibility
from . import encode
from .hub import Message
from .streams import (
    PUBLIC_CHANNELS,
    direct_channel,
    hashtag_channel,
    notifications_channel,
    token_channel,
    user_channel,
)

FEW = 100  # listening accounts up to which a home-feed lookup names them


def _online(node: Node, accounts: set[int]) -> set[int]:
    hub = node.streams
    return {a for a in accounts if hub is not None and hub.listening(user_channel(a))}


async def _home_readers(node: Node, status: Status) -> set[int]:
    """Listening accounts whose home feed holds the status (its rows are written with it)."""
    listening = node.streams.accounts() if node.streams is not None else set()
    if not listening:
        return set()
    rows = HomeFeedEntry.filter(status_id=status.id)
    if len(listening) <= FEW:  # else reading the status's rows costs less than a long IN list
        rows = rows.filter(account_id__in=list(listening))
    return _online(node, set(await rows.values_list("account_id", flat=True)) & listening)


async def _hidden(status: Status, readers: set[int]) -> set[int]:
    """Readers who block or mute the status's author or mentioned accounts (the original's too, for a
    reblog), or whom its author blocks."""
    if not readers:
        return set()
    hidden = await visibility.hidden_from(readers, await _about(status))
    if status.reblog_of_id is not None and (original := await Status.filter(id=status.reblog_of_id).first()):
        hidden |= await visibility.hidden_from(readers, await _about(original))
    hidden.discard(status.account_id)
    return hidden


async def _about(status: Status) -> tuple[int, ...]:
    mentioned = await Mention.filter(status_id=status.id).values_list("account_id", flat=True)
    return (status.account_id, *[m for m in mentioned if m != status.account_id])


async def _payloads(
    node: Node, status: Status, readers: set[int], *, anonymous: bool, fresh: bool
) -> dict[int | None, str]:
    """The status as each reader sees it, encoded (key None: as nobody, for the public streams), with the
    reader's home filters applied as the home timeline applies them: a `hide` match leaves the reader out,
    `warn` and `blur` carry `filtered`."""
    shown = await status_entities(node, [status], None)
    if not shown:
        return {}
    base = shown[0]
    result: dict[int | None, str] = {}
    matchers = await filters.matchers(node, list(readers), "home")

    def add(reader: int, entity: dict[str, Any]) -> None:
        if reader not in matchers or apply_filters(matchers[reader], entity):
            result[reader] = encode(entity)  # type: ignore[assignment]

    if anonymous:
        result[None] = encode(base)  # type: ignore[assignment]
    shared = set(readers) - {status.account_id}
    alone = set(readers) & {status.account_id}
    # a reblog nests the original's flags, and a poll shows each reader's own votes: those render one by one
    if status.reblog_of_id is not None or base.get("poll") is not None:
        alone, shared = alone | shared, set()
    if shared:
        favourited = reblogged = bookmarked = set()
        if not fresh:
            targets = list(shared)
            favourited = set(
                await Favourite.filter(status_id=status.id, account_id__in=targets).values_list(
                    "account_id", flat=True
                )
            )
            reblogged = set(
                await Status.filter(reblog_of_id=status.id, account_id__in=targets).values_list(
                    "account_id", flat=True
                )
            )
            bookmarked = set(
                await Bookmark.filter(status_id=status.id, account_id__in=targets).values_list(
                    "account_id", flat=True
                )
            )
        for reader in shared:
            add(reader, {**base, "favourited": reader in favourited, "reblogged": reader in reblogged,
                         "muted": False, "bookmarked": reader in bookmarked, "pinned": False})
    if alone:
        for account in await Account.filter(id__in=list(alone)):
            entity = await status_entities(node, [status], account, fresh=fresh)
            if entity:
                add(account.id, entity[0])
    return result


async def _broadcast_channels(node: Node, status: Status) -> list[str]:
    """The listened-to public and hashtag channels a status goes to (Mastodon's broadcastable: public, not a
    reblog, its server not silenced). Nothing is read for channels nobody listens to."""
    hub = node.streams
    if hub is None or status.visibility != "public" or status.reblog_of_id is not None:
        return []
    channels = []
    if status.in_reply_to_id is None or status.in_reply_to_account_id == status.account_id:
        where = "local" if status.local else "remote"
        channels += [PUBLIC_CHANNELS["public"], PUBLIC_CHANNELS[f"public:{where}"]]
        media = [PUBLIC_CHANNELS["public:media"], PUBLIC_CHANNELS[f"public:{where}:media"]]
        if (
            any(hub.listening(c) for c in media)
            and await MediaAttachment.filter(status_id=status.id).exists()
        ):
            channels += media
    if hub.channels("timeline:hashtag:"):
        for name in await StatusTag.filter(status_id=status.id).values_list("tag__name", flat=True):
            channels.append(hashtag_channel(name))
            if status.local:
                channels.append(hashtag_channel(name, local=True))
    channels = [c for c in channels if hub.listening(c)]
    if channels and not status.local:
        author = await Account.filter(id=status.account_id).first()
        if author is None or author.domain in await moderation.silenced_domains():
            return []
    return channels


async def status_event(
    node: Node, status: Status, event: str, *, readers: set[int] | None = None, fresh: bool = False
) -> None:
    """Send a new or edited status (`update` / `status.update`) to every stream that shows it."""
    hub = node.streams
    if hub is None or not hub.active():
        return
    readers = _online(node, readers) if readers is not None else await _home_readers(node, status)
    readers -= await _hidden(status, readers)
    readers -= await lists.excluding_from_home(status.account_id, readers)  # read in those lists instead
    broadcast = await _broadcast_channels(node, status)
    if not readers and not broadcast:
        return
    payloads = await _payloads(node, status, readers, anonymous=bool(broadcast), fresh=fresh)
    for reader in readers:
        if reader in payloads:
            await hub.publish(user_channel(reader), Message(event, payloads[reader]))
    if broadcast and None in payloads:
        message = Message(event, payloads[None], await _about(status))
        for channel in broadcast:
            await hub.publish(channel, message)


async def deleted(node: Node, status: Status) -> None:
    """`delete` with the bare id, wherever the status could have been shown."""
    hub = node.streams
    if hub is None or not hub.active():
        return
    message = Message("delete", str(status.id))
    readers = await _home_readers(node, status)
    for reader in readers:
        await hub.publish(user_channel(reader), message)
    if status.visibility == "direct":
        for reader in readers:
            await hub.publish(direct_channel(reader), message)
    if status.visibility == "public" and status.reblog_of_id is None:
        # its hashtag rows went with it: every hashtag stream hears of it (a public id, nothing more)
        for channel in [*PUBLIC_CHANNELS.values(), *hub.channels("timeline:hashtag:")]:
            await hub.publish(channel, message)


async def notification_event(node: Node, notification: Notification) -> None:
    channel = notifications_channel(notification.account_id)
    if node.streams is None or not node.streams.listening(channel):
        return
    viewer = await Account.filter(id=notification.account_id).first()
    if viewer is None:
        return
    rendered = await notification_entities(node, [notification], viewer)
    if rendered:
        await node.streams.publish(channel, Message("notification", encode(rendered[0])))


def subscribe(node: Node) -> None:
    bus = node.bus

    @bus.on("status.created")
    async def on_created(status: Status) -> None:
        await status_event(node, status, "update", fresh=True)

    @bus.on("status.updated")
    async def on_updated(status: Status) -> None:
        await status_event(node, status, "status.update")

    @bus.on("reblog.created")
    async def on_reblog(status: Status) -> None:
        # the reblog's feed rows are written by another subscriber: find its readers by the feed's rules
        if node.streams is None or not node.streams.active():
            return
        await status_event(node, status, "update", readers=await feeds.readers_of(status))

    @bus.on("status.deleted")
    @bus.on("reblog.deleted")
    async def on_deleted(status: Status, **_: Any) -> None:
        await deleted(node, status)

    @bus.on("token.revoked")
    async def on_revoked(token_hash: str) -> None:
        if node.streams is not None:
            await node.streams.publish(token_channel(token_hash), Message("kill"))

    @bus.on("notification.created")
    async def on_notification(notification: Notification) -> None:
        await notification_event(node, notification)
