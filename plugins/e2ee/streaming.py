"""Live events for clients: the WebSocket `/api/v1/crypto/stream` pushes new envelopes to the device it
belongs to, and carries ephemeral typing and presence events (unencrypted, never stored) between accounts.

One Hub per process maps device rows and accounts to their open sockets; a push is a JSON frame
`{"event": ..., "payload": "<JSON text>"}` as Mastodon's streaming API frames its events."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from federation import jsondoc

log = logging.getLogger(__name__)


class Hub:
    """Open streams by device row id and by account id; pushing never blocks the sender."""

    def __init__(self) -> None:
        self.devices: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self.accounts: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def open(self, account_id: int, device_row: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self.devices[device_row].add(queue)
        self.accounts[account_id].add(queue)
        return queue

    def close(self, account_id: int, device_row: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.devices[device_row].discard(queue)
        self.accounts[account_id].discard(queue)

    def notify_devices(self, device_rows: Iterable[int]) -> None:
        """Tell the devices' open streams that envelopes are waiting (clients then read their queue)."""
        for row in set(device_rows):
            self._push(self.devices.get(row, ()), "encrypted_message", {})

    def push_device(self, device_row: int, event: str, payload: Any) -> None:
        self._push(self.devices.get(device_row, ()), event, payload)

    def push_account(self, account_id: int, event: str, payload: Any) -> None:
        self._push(self.accounts.get(account_id, ()), event, payload)

    @staticmethod
    def _push(queues: Iterable[asyncio.Queue[dict[str, Any]]], event: str, payload: Any) -> None:
        frame = {"event": event, "payload": json.dumps(payload)}
        for queue in list(queues):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:  # a stuck client loses live events, never its queued envelopes
                log.warning("e2ee stream queue full; event %s dropped", event)


_HUBS: weakref.WeakKeyDictionary[Any, Hub] = weakref.WeakKeyDictionary()


def hub_of(api: Any) -> Hub:
    """The hub of one node (several nodes may share a process, each with its own plugin api)."""
    hub = _HUBS.get(api)
    if hub is None:
        hub = _HUBS[api] = Hub()
    return hub


async def serve(request: web.Request, queue: asyncio.Queue[dict[str, Any]],
                on_message: Callable[[dict[str, Any]], Any]) -> web.WebSocketResponse:
    """Run one client's socket: frames from the queue go out, JSON frames from the client go to on_message."""
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)

    async def pump() -> None:
        while True:
            frame = await queue.get()
            await ws.send_json(frame)

    sender = asyncio.get_running_loop().create_task(pump())
    try:
        async for message in ws:
            if message.type != web.WSMsgType.TEXT:
                continue
            try:
                data = jsondoc.loads(message.data)
            except ValueError:
                await ws.send_json({"event": "error", "payload": json.dumps({"error": "frames must be JSON"})})
                continue
            if isinstance(data, dict):
                answer = await on_message(data)
                if answer is not None:
                    await ws.send_json(answer)
    finally:
        sender.cancel()
    return ws
