"""The streaming endpoints, as Mastodon's streaming server serves them: the WebSocket at /api/v1/streaming
(subscribe and unsubscribe by message, or `?stream=` on connecting) and one server-sent-events endpoint per
stream under /api/v1/streaming/, plus /api/v1/streaming/health.

The token comes from the `access_token` query parameter, the `Authorization` header or (browsers) the
`Sec-WebSocket-Protocol` header; the node's own pages may use the session cookie instead, from their own
origin only (a WebSocket is not bound by the same-origin policy, so the Origin header is checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from federation import jsondoc

from ..api.auth import SESSION_COOKIE, token_grant
from ..api.endpoint import ID, endpoint
from ..api.keys import NODE
from ..errors import BadRequest, DomainError, Unauthorized
from ..runtime import Node
from ..services import auth
from . import streams
from .hub import Outbox, Subscription, kill_frame, sse_frame, ws_frame

routes = web.RouteTableDef()

SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}
SSE_HEARTBEAT_SECONDS = 15.0  # Mastodon writes ":thump" every 15 s on an idle event stream
WS_PING_SECONDS = 30.0  # and pings each WebSocket every 30 s, dropping those that do not answer


def _origin_ok(node: Node, request: web.Request, *, required: bool) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    return origin.rstrip("/") == node.base_url.rstrip("/")


async def authenticate(request: web.Request, *, websocket: bool) -> tuple[auth.Grant, str | None, str | None]:
    """The caller's grant, the token when it came as the WebSocket sub-protocol (to be echoed), and the
    token's hash (its connections close when it is revoked)."""
    node = request.app[NODE]
    header = request.headers.get("Authorization", "")
    protocol = request.headers.get("Sec-WebSocket-Protocol", "").split(",")[0].strip() if websocket else ""
    token = (
        header.removeprefix("Bearer ").strip() if header else (request.query.get("access_token") or protocol)
    )
    if token:
        grant = await token_grant(node, token)
        if grant is None or grant.user is None:
            raise Unauthorized("Invalid access token")
    else:
        session = None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and _origin_ok(node, request, required=websocket):
            session = await auth.session_for_cookie(cookie)
        if session is None:
            raise Unauthorized("Missing access token")
        grant = auth.Grant(
            user=session.user,
            app=None,
            scopes=frozenset({"read", "write", "follow", "push"}),
            via_session=True,
        )
    if not grant.user.approved:  # type: ignore[union-attr]
        raise Unauthorized("Your login is currently pending approval")
    echoed = (
        token if token and token == protocol and not header and "access_token" not in request.query else None
    )
    return grant, echoed, auth.digest(token) if token else None


def _watch_token(node: Node, outbox: Outbox, token_hash: str | None) -> Subscription | None:
    if token_hash is None or node.streams is None:
        return None
    watcher = Subscription(None, ["system"], False, outbox, kill_frame)
    node.streams.subscribe(watcher, [streams.token_channel(token_hash)])
    return watcher


@routes.get("/api/v1/streaming/health")
@endpoint()
async def health(_request: web.Request) -> web.Response:
    """Whether the streaming API is up: the text OK."""
    return web.Response(text="OK", content_type="text/plain")


class _Session:
    """One WebSocket connection: its grant, its subscriptions (by channel set) and its outbox."""

    def __init__(self, node: Node, grant: auth.Grant) -> None:
        self.node = node
        self.grant = grant
        self.outbox = Outbox()
        self.subscriptions: dict[tuple[str, ...], Subscription] = {}

    def _error(self, message: str, status: int | None = None) -> None:
        body: dict[str, Any] = {"error": message}
        if status is not None:
            body["status"] = status
        self.outbox.push(json.dumps(body))

    async def subscribe(self, name: str, params: dict[str, Any]) -> None:
        hub = self.node.streams
        assert hub is not None
        try:
            stream = await streams.resolve(self.node, self.grant, name, params, hub.defined)
        except DomainError as exc:
            self._error(exc.message, exc.status)
            return
        if stream.channels in self.subscriptions:
            return
        account_id = self.grant.user.account_id  # type: ignore[union-attr]
        subscription = Subscription(account_id, stream.label, stream.filtered, self.outbox, ws_frame)
        hub.subscribe(subscription, stream.channels)
        self.subscriptions[stream.channels] = subscription

    async def unsubscribe(self, name: str, params: dict[str, Any]) -> None:
        hub = self.node.streams
        assert hub is not None
        try:
            stream = await streams.resolve(self.node, self.grant, name, params, hub.defined)
        except DomainError:
            self._error("Error unsubscribing from channel")
            return
        subscription = self.subscriptions.pop(stream.channels, None)
        if subscription is not None:
            hub.unsubscribe(subscription)

    async def handle(self, text: str) -> None:
        try:
            message = jsondoc.loads(text)
        except ValueError:
            return  # as Mastodon: a frame that is not JSON is ignored
        if not isinstance(message, dict):
            return
        kind, name = message.pop("type", None), message.pop("stream", None)
        if isinstance(name, list):
            name = name[0] if name else None
        if not isinstance(name, str):
            name = ""
        if kind == "subscribe":
            await self.subscribe(name, message)
        elif kind == "unsubscribe":
            await self.unsubscribe(name, message)

    def close(self) -> None:
        if self.node.streams is not None:
            for subscription in self.subscriptions.values():
                self.node.streams.unsubscribe(subscription)
        self.subscriptions.clear()


@routes.get("/api/v1/streaming")
@routes.get("/api/v1/streaming/")
@endpoint(params={"stream": str, "tag": str, "list": ID, "access_token": str}, ok=101, returns=None)
async def websocket(request: web.Request) -> web.StreamResponse:
    """The WebSocket streaming API: {"type": "subscribe"|"unsubscribe", "stream": ..., "tag"|"list": ...}.

    Events arrive as {"stream": [name, ...], "event": ..., "payload": "<JSON text>"}; a refused
    subscription as {"error": ..., "status": ...}. Streams: user, user:notification, public,
    public:local, public:remote (each also :media), hashtag, hashtag:local, list, direct."""
    node = request.app[NODE]
    if not web.WebSocketResponse().can_prepare(request).ok:
        raise BadRequest("Unknown channel requested")
    try:
        grant, protocol_token, token_hash = await authenticate(request, websocket=True)
    except DomainError as exc:  # refused before the upgrade, with Mastodon's X-Error-Message header
        return web.json_response(
            {"error": exc.message}, status=exc.status, headers={"X-Error-Message": exc.message}
        )
    # No per-message compression, as Mastodon's server: one event to many sockets is encoded once and each
    # socket only writes it (compressing per connection would cost more than the bytes it saves on loopback
    # and on most links).
    ws = web.WebSocketResponse(
        heartbeat=WS_PING_SECONDS, protocols=(protocol_token,) if protocol_token else (), compress=False
    )
    try:
        await ws.prepare(request)
    except ConnectionResetError:  # the client left during the upgrade (a closed tab): nothing to stream to
        return ws
    session = _Session(node, grant)
    watcher = _watch_token(node, session.outbox, token_hash)

    async def pump() -> None:
        while (frame := await session.outbox.queue.get()) is not None:
            await ws.send_str(frame)
        await ws.close()

    writer = asyncio.get_running_loop().create_task(pump())
    try:
        if stream := request.query.get("stream"):
            await session.subscribe(stream, dict(request.query))
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                await session.handle(message.data)
            elif message.type == web.WSMsgType.BINARY:
                await ws.close(code=1003, message=b"Binary messages are not supported")
                break
    finally:
        session.close()
        if watcher is not None and node.streams is not None:
            node.streams.unsubscribe(watcher)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await writer
    return ws


@routes.get("/api/v1/streaming/{path:.+}")
@endpoint(params={"tag": str, "list": ID, "only_media": bool, "access_token": str}, returns="text/event-stream")
async def server_sent_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for one stream: /user, /user/notification, /public (also /local, /remote,
    ?only_media=true), /hashtag?tag= (also /local), /list?list=, /direct.

    Each event is `event: <name>` and `data: <payload>`; an idle stream gets a `:thump` comment every 15 s."""
    node = request.app[NODE]
    name = SSE_PATHS.get(request.match_info["path"].strip("/"))
    if name is None:
        raise BadRequest("Unknown channel requested")
    grant, _, token_hash = await authenticate(request, websocket=False)
    params: dict[str, Any] = dict(request.query)
    hub = node.streams
    assert hub is not None
    stream = await streams.resolve(node, grant, streams.stream_name(name, params), params, hub.defined)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    outbox = Outbox()
    subscription = Subscription(grant.user.account_id, stream.label, stream.filtered, outbox, sse_frame)  # type: ignore[union-attr]
    hub.subscribe(subscription, stream.channels)
    watcher = _watch_token(node, outbox, token_hash)
    try:
        await response.write(b":)\n")
        while True:
            try:
                frame = await asyncio.wait_for(outbox.queue.get(), SSE_HEARTBEAT_SECONDS)
            except TimeoutError:
                frame = ":thump\n"
            if frame is None:
                break
            await response.write(frame.encode())
    except ConnectionError:  # the client went away
        pass
    finally:
        hub.unsubscribe(subscription)
        if watcher is not None:
            hub.unsubscribe(watcher)
    return response


def setup(app: web.Application) -> None:
    """Add the streaming routes, and end every open stream when the server shuts down."""
    app.router.add_routes(routes)

    async def close_streams(app: web.Application) -> None:
        node = app.get(NODE)
        if node is not None and node.streams is not None:
            node.streams.disconnect_all()

    app.on_shutdown.append(close_streams)
