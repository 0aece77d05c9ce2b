"""The streaming hub: who is listening to which channel in this process, and the backend that carries
published messages to every process holding listeners.

Channels are named as Mastodon's streaming server names its Redis channels (`timeline:public`,
`timeline:<account id>`, `timeline:hashtag:<name>`...). A `Message` is already encoded for the wire, so it
is rendered once however many clients get it, and it is plain JSON, so a backend may carry it between
processes. `InProcessBackend` is the default (one process); node/streaming/postgres.py carries messages
between the processes of one node through PostgreSQL LISTEN/NOTIFY. Publishers ask the hub who listens before
rendering anything, so a backend also tells which channels are listened to in other processes (`watch` /
`unwatch` announce this process's own), and the hub answers for all of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 1000  # frames waiting for one slow client before it is dropped (it reconnects and refetches)


@dataclass(frozen=True)
class Message:
    """One event as sent: `payload` is the wire text (a JSON document, or a bare id for `delete`), None for
    the events Mastodon sends without one. `about` names the accounts whose blocks and mutes hide it from a
    listener on a filtered stream (its author first, then the accounts it mentions)."""

    event: str
    payload: str | None = None
    about: tuple[int, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"event": self.event, "payload": self.payload, "about": list(self.about)})

    @classmethod
    def from_json(cls, text: str) -> Message:
        data = json.loads(text)
        return cls(str(data["event"]), data.get("payload"), tuple(int(a) for a in data.get("about") or ()))


Deliver = Callable[[str, Message], Awaitable[None]]


class Backend(Protocol):
    """Carries published messages to the hub of every process (`deliver` is the local hub's entry)."""

    def connect(self, deliver: Deliver) -> None: ...

    async def publish(self, channel: str, message: Message) -> None: ...

    def watch(self, channel: str) -> None:
        """This process now has listeners on `channel`."""

    def unwatch(self, channel: str) -> None:
        """This process no longer has listeners on `channel`."""

    def elsewhere(self) -> set[str]:
        """The channels listened to in other processes."""

    async def close(self) -> None: ...


class InProcessBackend:
    """One process: publishing is delivering."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    def connect(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, channel: str, message: Message) -> None:
        if self._deliver is not None:
            await self._deliver(channel, message)

    def watch(self, channel: str) -> None:
        pass

    def unwatch(self, channel: str) -> None:
        pass

    def elsewhere(self) -> set[str]:
        return set()

    async def close(self) -> None:
        self._deliver = None


class Outbox:
    """Frames waiting to go out on one connection; pushing never blocks the publisher."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self.overflowed = False

    def push(self, frame: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:  # a client that stopped reading: end its connection rather than grow
            self.overflowed = True
            log.warning("streaming client too slow; closing its connection")
            self._drain_and_stop()

    def stop(self) -> None:
        self._drain_and_stop()

    def _drain_and_stop(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


@dataclass(eq=False)
class Subscription:
    """One stream a connection listens to: its account (None for none), the stream's name as the client
    sees it (`["hashtag", "cats"]`), whether blocks and mutes filter it here, and how its frames are written."""

    account_id: int | None
    label: list[str]
    filtered: bool
    outbox: Outbox
    frame: Callable[[list[str], Message], str | None]  # None: end the connection (a revoked token)
    channels: tuple[str, ...] = field(default=())


Hide = Callable[[set[int], tuple[int, ...]], Awaitable[set[int]]]


class Hub:
    """Listeners by channel in this process, fed by the backend."""

    def __init__(self, backend: Backend, hide: Hide) -> None:
        self.backend = backend
        self._hide = hide  # (listening accounts, message.about) -> the accounts it must not reach
        self._channels: dict[str, set[Subscription]] = defaultdict(set)
        self._accounts: Counter[int] = Counter()  # subscriptions per account
        self.defined: dict[str, Any] = {}  # stream name -> streams.Resolver, for streams other features add
        backend.connect(self.deliver)

    def define(self, name: str, resolver: Any) -> None:
        """Add a stream clients may subscribe to by name (see node.streaming.streams.Resolver)."""
        self.defined[name] = resolver

    def subscribe(self, subscription: Subscription, channels: Iterable[str]) -> None:
        subscription.channels = tuple(channels)
        if subscription.account_id is not None:
            self._accounts[subscription.account_id] += 1
        for channel in subscription.channels:
            if channel not in self._channels:
                self.backend.watch(channel)
            self._channels[channel].add(subscription)

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription.account_id is not None and subscription.channels:
            self._accounts[subscription.account_id] -= 1
            if self._accounts[subscription.account_id] <= 0:
                del self._accounts[subscription.account_id]
        for channel in subscription.channels:
            listeners = self._channels.get(channel)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._channels[channel]
                    self.backend.unwatch(channel)
        subscription.channels = ()

    def listening(self, channel: str) -> bool:
        """Whether anyone, in this process or another, listens to `channel` (publishers skip rendering for
        nobody)."""
        return channel in self._channels or channel in self.backend.elsewhere()

    def active(self) -> bool:
        """Whether anyone listens to anything (publishers skip all work when nobody does)."""
        return bool(self._channels) or bool(self.backend.elsewhere())

    def listeners(self, channel: str) -> int:
        return len(self._channels.get(channel, ()))

    def channels(self, prefix: str) -> list[str]:
        """The channels listened to anywhere whose names start with `prefix`."""
        return [c for c in {*self._channels, *self.backend.elsewhere()} if c.startswith(prefix)]

    def accounts(self) -> set[int]:
        """Accounts with a stream open (publishers narrow their queries to them): here, any stream; in other
        processes, the accounts whose user stream is open there (all that publishers look them up for)."""
        elsewhere = {int(c[9:]) for c in self.backend.elsewhere() if c.startswith("timeline:") and c[9:].isdigit()}
        return set(self._accounts) | elsewhere

    async def publish(self, channel: str, message: Message) -> None:
        await self.backend.publish(channel, message)

    async def deliver(self, channel: str, message: Message) -> None:
        listeners = list(self._channels.get(channel, ()))
        if not listeners:
            return
        if message.about:
            watching = {s.account_id for s in listeners if s.filtered and s.account_id is not None}
            hidden = await self._hide(watching, message.about) if watching else set()
            if hidden:
                listeners = [s for s in listeners if not (s.filtered and s.account_id in hidden)]
        frames: dict[tuple[Any, ...], str | None] = {}  # encoded once per way of writing it, not per client
        for subscription in listeners:
            key = (subscription.frame, *subscription.label)
            if key not in frames:
                frames[key] = subscription.frame(subscription.label, message)
            text = frames[key]
            if text is None:
                subscription.outbox.stop()
            else:
                subscription.outbox.push(text)

    def disconnect_all(self) -> None:
        """End every open connection (the server is shutting down); each handler then unsubscribes."""
        outboxes = {id(s.outbox): s.outbox for listeners in self._channels.values() for s in listeners}
        for outbox in outboxes.values():
            outbox.stop()

    async def close(self) -> None:
        self.disconnect_all()
        self._channels.clear()
        self._accounts.clear()
        await self.backend.close()


def kill_frame(_label: list[str], _message: Message) -> None:
    """The system channel's only message ends the connection: its access token was revoked."""
    return None


def ws_frame(label: list[str], message: Message) -> str:
    """A WebSocket text frame, as Mastodon's: {"stream": [...], "event": ..., "payload": "<JSON text>"}."""
    frame: dict[str, Any] = {"stream": label, "event": message.event}
    if message.payload is not None:
        frame["payload"] = message.payload
    return json.dumps(frame)


def sse_frame(_label: list[str], message: Message) -> str:
    """A server-sent event, as Mastodon's: `event: <name>` then `data: <payload>` (events without a payload
    carry the word `undefined`, as Mastodon's JavaScript server wrote them)."""
    payload = message.payload if message.payload is not None else "undefined"
    return f"event: {message.event}\ndata: {payload}\n\n"
