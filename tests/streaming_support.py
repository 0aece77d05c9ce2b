"""Streaming test helpers: a WebSocket client speaking Mastodon's protocol and a server-sent-events reader,
both over real HTTP to a served node. Waits are bounded by a timeout, never slept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from support import bearer

WAIT = 10.0  # seconds before a missing event fails the test


class Socket:
    """A WebSocket connection to /api/v1/streaming."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(
        cls,
        client: Any,
        token: str | None,
        *streams: str | dict[str, Any],
        path: str = "/api/v1/streaming",
        **kwargs: Any,
    ) -> Socket:
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        socket = cls(await client.ws_connect(path, headers=headers, **kwargs))
        for stream in streams:
            await socket.subscribe(stream)
        await socket.sync()
        return socket

    async def subscribe(self, stream: str | dict[str, Any], kind: str = "subscribe") -> None:
        message = {"stream": stream} if isinstance(stream, str) else dict(stream)
        await self.ws.send_json({"type": kind, **message})

    async def sync(self) -> None:
        """Wait until the server has handled every message sent so far: it answers them in order, and a
        hashtag subscription without a tag is refused with an error frame, whatever the token's scopes."""
        await self.ws.send_json({"type": "subscribe", "stream": "hashtag"})
        assert await self.receive() == {"error": "Missing tag name parameter", "status": 400}

    async def receive(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), WAIT)
        assert message.type.name == "TEXT", message
        return json.loads(message.data)

    async def event(self) -> tuple[list[str], str, Any]:
        """The next event: (stream, event name, decoded payload)."""
        frame = await self.receive()
        assert "event" in frame, frame
        payload = frame.get("payload")
        assert payload is None or isinstance(payload, str), frame  # Mastodon sends the payload as JSON text
        if payload is not None and frame["event"] != "delete":
            payload = json.loads(payload)
        return frame["stream"], frame["event"], payload

    async def close(self) -> None:
        await self.ws.close()


class EventStream:
    """A server-sent-events response, read event by event."""

    def __init__(self, response: Any) -> None:
        self.response = response

    @classmethod
    async def open(cls, client: Any, path: str, token: str | None, **kwargs: Any) -> EventStream:
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        response = await client.get(path, headers=headers, **kwargs)
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = cls(response)
        assert await stream._line() == ":)"  # written once the subscription is in place
        return stream

    async def _line(self) -> str:
        return (await asyncio.wait_for(self.response.content.readline(), WAIT)).decode().rstrip("\n")

    async def event(self) -> tuple[str, str]:
        """The next event: (name, data text); heartbeat comments are skipped."""
        fields: dict[str, str] = {}
        while True:
            line = await self._line()
            if line.startswith(":"):
                continue
            if line == "":
                if fields:
                    return fields["event"], fields.get("data", "")
                continue
            key, _, value = line.partition(": ")
            fields[key] = value

    def close(self) -> None:
        self.response.close()
