"""The streaming hub's backend for several processes on one PostgreSQL database: LISTEN/NOTIFY carries
what one process publishes to the listeners of every other, so a client on any web process gets every event.

Each process holds one connection of its own (not the ORM pool's), listening on one notification channel.
What goes over it, as small JSON frames:
    {"t": "+", "c": [...]}   this process now has listeners on these hub channels
    {"t": "-", "c": [...]}   ... no longer has
    {"t": "hello"}           a process started: the others announce their channels to it again
    {"t": "m", "c": channel, "m": message}   a published message, sent only if another process listens
A process is known by its connection's backend pid; one that died without saying goodbye is forgotten when
PostgreSQL no longer lists its connection (checked every `PRUNE_SECONDS`).

NOTIFY payloads are limited to 8000 bytes, and a rendered status can be longer: frames are ASCII JSON, cut
into numbered pieces that the receiver puts back together (pieces of one frame are sent in one transaction,
so they arrive together and in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any

import asyncpg

from .hub import Deliver, Message

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "entativa_streams"
PIECE = 7900  # bytes of frame per notification (PostgreSQL's limit is 8000 for the whole payload)
PRUNE_SECONDS = 30.0


def pieces(frame: str, serial: int) -> list[str]:
    """`frame` (ASCII) as notification payloads: `serial:index:count:text`."""
    chunks = [frame[i:i + PIECE] for i in range(0, len(frame), PIECE)] or [""]
    return [f"{serial}:{n}:{len(chunks)}:{chunk}" for n, chunk in enumerate(chunks)]


class PostgresBackend:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._deliver: Deliver | None = None
        self._connection: asyncpg.Connection | None = None
        self.pid = 0
        self._mine: set[str] = set()
        self._others: dict[int, set[str]] = {}  # backend pid -> its channels
        self._elsewhere: set[str] = set()
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._incoming: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self._partial: dict[tuple[int, str], list[str]] = {}
        self._serial = itertools.count()
        self._tasks: list[asyncio.Task] = []

    def connect(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def start(self) -> None:
        self._connection = await asyncpg.connect(self._dsn)
        self.pid = self._connection.get_server_pid()
        await self._connection.add_listener(NOTIFY_CHANNEL, self._heard)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._send_loop()), loop.create_task(self._receive_loop())]
        self._send({"t": "hello"})
        if self._mine:
            self._send({"t": "+", "c": sorted(self._mine)})

    # ---- the hub's side ------------------------------------------------------------------------------------

    async def publish(self, channel: str, message: Message) -> None:
        if self._deliver is not None and channel in self._mine:
            await self._deliver(channel, message)
        if channel in self._elsewhere:
            self._send({"t": "m", "c": channel, "m": message.to_json()})

    def watch(self, channel: str) -> None:
        self._mine.add(channel)
        self._send({"t": "+", "c": [channel]})

    def unwatch(self, channel: str) -> None:
        self._mine.discard(channel)
        self._send({"t": "-", "c": [channel]})

    def elsewhere(self) -> set[str]:
        return self._elsewhere

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if connection is not None:
            with contextlib.suppress(Exception):  # the others also forget us once the connection is gone
                await connection.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL,
                                         pieces(json.dumps({"t": "bye"}), next(self._serial))[0])
            await connection.close()
        self._deliver = None

    # ---- sending -------------------------------------------------------------------------------------------

    def _send(self, frame: dict[str, Any]) -> None:
        if self._connection is not None:
            self._outgoing.put_nowait(json.dumps(frame))  # ensure_ascii: one character is one byte

    async def _send_loop(self) -> None:
        while True:
            try:
                first = await asyncio.wait_for(self._outgoing.get(), PRUNE_SECONDS)
            except TimeoutError:
                await self._prune()
                continue
            frames = [first]
            while not self._outgoing.empty():  # whatever queued meanwhile goes in the same round trip
                frames.append(self._outgoing.get_nowait())
            payloads = [p for frame in frames for p in pieces(frame, next(self._serial))]
            try:
                assert self._connection is not None
                # one statement, one transaction: the pieces arrive together and in this order
                await self._connection.execute(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
                    NOTIFY_CHANNEL, payloads)
            except asyncio.CancelledError:
                raise
            except Exception:  # a lost notification loses a live event, never data: clients refetch
                log.exception("could not send %d streaming frames to the other processes", len(frames))

    async def _prune(self) -> None:
        """Forget processes whose connection PostgreSQL no longer has (they died without a goodbye)."""
        if not self._others or self._connection is None:
            return
        alive = {r["pid"] for r in await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])", list(self._others))}
        for pid in set(self._others) - alive:
            self._forget(pid)

    # ---- receiving -----------------------------------------------------------------------------------------

    def _heard(self, _connection: Any, pid: int, _channel: str, payload: str) -> None:
        if pid != self.pid:
            self._incoming.put_nowait((pid, payload))

    async def _receive_loop(self) -> None:
        while True:
            pid, payload = await self._incoming.get()
            try:
                frame = self._assemble(pid, payload)
                if frame is not None:
                    await self._handle(pid, json.loads(frame))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bad streaming frame from process %d", pid)

    def _assemble(self, pid: int, payload: str) -> str | None:
        serial, index, count, text = payload.split(":", 3)
        if count == "1":
            return text
        key = (pid, serial)
        held = self._partial.setdefault(key, [])
        held.append(text)
        if int(index) + 1 < int(count):
            return None
        del self._partial[key]
        return "".join(held)

    async def _handle(self, pid: int, frame: dict[str, Any]) -> None:
        kind = frame["t"]
        if kind == "m":
            if self._deliver is not None and frame["c"] in self._mine:
                await self._deliver(frame["c"], Message.from_json(frame["m"]))
        elif kind == "+":
            self._others.setdefault(pid, set()).update(frame["c"])
            self._elsewhere.update(frame["c"])
        elif kind == "-":
            self._others.setdefault(pid, set()).difference_update(frame["c"])
            self._recount()
        elif kind == "hello":
            self._others.setdefault(pid, set())
            if self._mine:
                self._send({"t": "+", "c": sorted(self._mine)})
        elif kind == "bye":
            self._forget(pid)

    def _forget(self, pid: int) -> None:
        self._others.pop(pid, None)
        self._recount()
        self._partial = {k: v for k, v in self._partial.items() if k[0] != pid}

    def _recount(self) -> None:
        self._elsewhere = set().union(*self._others.values()) if self._others else set()
