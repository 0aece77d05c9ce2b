"""Live events for clients: Mastodon's streaming API (the WebSocket at /api/v1/streaming and the
server-sent-event endpoints under it), fed by the domain event bus.

Publishing, for any feature (this is the one way to put an event on a stream):

    from node import streaming
    await streaming.publish(node, streaming.user_channel(account.id), "filters_changed")
    await streaming.publish(node, streaming.direct_channel(account.id), "conversation", conversation_entity)
    await streaming.publish(node, streaming.list_channel(list_id), "update", status_entity)
    await streaming.publish(node, streaming.user_channel(account.id), "entativa.story", story_entity)

`payload` is a JSON-able value (encoded once here, sent as a JSON string as Mastodon encodes it), a str
sent as it is (`delete` sends the bare status id), or None for events without one. `about` (author first,
then mentioned accounts) makes filtered streams drop the event for listeners who block or mute them; the
user stream is not filtered here, so a publisher to it decides who may see what (node.streaming.routing
does that for statuses). `listening(node, channel)` tells whether anyone listens, to skip rendering.
Extension events use new names (`entativa.<thing>.<what>`) so Mastodon apps ignore them. A feature that
adds a stream (lists) calls `node.streams.define(name, resolver)` (see streams.Resolver).

The hub sits behind a small Backend interface (hub.py): in-process by default; when the node runs as several
processes, PostgreSQL LISTEN/NOTIFY carries the same messages between them (postgres.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..runtime import Node
from ..services import visibility
from .hub import Hub, InProcessBackend, Message
from .streams import (
    PUBLIC_CHANNELS,
    direct_channel,
    hashtag_channel,
    list_channel,
    notifications_channel,
    user_channel,
)

__all__ = [
    "MASTODON_EVENTS",
    "PUBLIC_CHANNELS",
    "Hub",
    "Message",
    "attach",
    "direct_channel",
    "filters_changed",
    "hashtag_channel",
    "list_channel",
    "listening",
    "notifications_channel",
    "notifications_merged",
    "publish",
    "user_channel",
]


# Mastodon's event names (ours must differ); `status.update` and `notifications_merged` are 3.5's and 4.3's.
MASTODON_EVENTS = frozenset(
    {
        "update",
        "delete",
        "notification",
        "status.update",
        "conversation",
        "filters_changed",
        "notifications_merged",
        "announcement",
        "announcement.reaction",
        "announcement.delete",
        "encrypted_message",
    }
)


def encode(payload: Any) -> str | None:
    if payload is None or isinstance(payload, str):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def publish(
    node: Node, channel: str, event: str, payload: Any = None, *, about: Iterable[int] = ()
) -> None:
    """Send `event` to everyone listening to `channel` (see the module docstring)."""
    if node.streams is None:
        return
    await node.streams.publish(channel, Message(event, encode(payload), tuple(about)))


async def filters_changed(node: Node, account_id: int) -> None:
    """Tell an account's user streams its filters changed (no payload, as Mastodon): the filters API calls it."""
    await publish(node, user_channel(account_id), "filters_changed")


async def notifications_merged(node: Node, account_id: int) -> None:
    """Tell an account's notification streams that accepted notification requests were merged (payload
    "1", as Mastodon 4.3): clients then refetch their notifications."""
    await publish(node, notifications_channel(account_id), "notifications_merged", "1")


def listening(node: Node, channel: str) -> bool:
    return node.streams is not None and node.streams.listening(channel)


def attach(node: Node) -> Hub:
    """Give the node its hub and route domain events to streams. Called before the other subscribers, so
    a deleted status's home-feed rows are still there when its `delete` goes out."""
    from . import routing

    if node.shared:
        from ..processes import dsn
        from .postgres import PostgresBackend

        backend: Any = PostgresBackend(dsn(node.config))
    else:
        backend = InProcessBackend()
    node.streams = Hub(backend, visibility.hidden_from)
    routing.subscribe(node)
    return node.streams
