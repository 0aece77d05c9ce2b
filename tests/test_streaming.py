"""The streaming API over real HTTP: the WebSocket at /api/v1/streaming and the server-sent-event endpoints,
Mastodon's streams, events and payload encoding, and its errors for bad tokens and unknown streams."""

from __future__ import annotations

import asyncio
import json
import queue
import socket as sockets
import threading

import pytest
from aiohttp import WSServerHandshakeError
from fixtures.social import call, follow, png_bytes, post, relate, upload, user
from mastodon import Mastodon, StreamListener
from streaming_support import WAIT, EventStream, Socket
from support import bearer, create_user

from node import streaming
from node.api.auth import SESSION_COOKIE
from node.api.keys import NODE
from node.app import build_app
from node.plugin_api import NodeApi
from node.services import auth
from node.streaming import streams


def free_port() -> int:
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_health_and_instance_urls(node_client):
    response = await node_client.get("/api/v1/streaming/health")
    assert response.status == 200 and await response.text() == "OK"
    _, v2 = await call(node_client, "GET", "/api/v2/instance")
    _, v1 = await call(node_client, "GET", "/api/v1/instance")
    assert v2["configuration"]["urls"]["streaming"] == "ws://localhost"
    assert v1["urls"]["streaming_api"] == "ws://localhost"


async def test_user_stream_gets_home_updates_notifications_and_deletes(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    await follow(node_client, ana, ben_id)
    socket = await Socket.open(node_client, ana, "user")
    status = await post(node_client, ben, "hello ana's home")
    stream, event, payload = await socket.event()
    assert (stream, event) == (["user"], "update")
    assert payload["id"] == status["id"] and payload["account"]["id"] == ben_id
    assert payload["favourited"] is False and payload["content"] == status["content"]
    mine = await post(node_client, ana, "my own post")
    assert (await socket.event())[2]["id"] == mine["id"]  # the author's home has it too
    await call(node_client, "POST", f"/api/v1/statuses/{mine['id']}/favourite", ben)
    stream, event, notification = await socket.event()
    assert (stream, event) == (["user"], "notification")
    assert notification["type"] == "favourite" and notification["account"]["id"] == ben_id
    assert notification["status"]["id"] == mine["id"]
    await call(node_client, "DELETE", f"/api/v1/statuses/{status['id']}", ben)
    assert await socket.event() == (["user"], "delete", status["id"])  # the bare id, as a string
    await socket.close()


async def test_public_local_media_and_hashtag_streams(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    socket = await Socket.open(
        node_client, ana, "public", "public:local", "public:remote", {"stream": "hashtag", "tag": "Cats"}
    )
    tagged = await post(node_client, ben, "look #cats")
    seen = {
        tuple(stream): payload["id"]
        for stream, event, payload in [await socket.event() for _ in range(3)]
        if event == "update"
    }
    assert seen == {
        ("public",): tagged["id"],
        ("public:local",): tagged["id"],
        ("hashtag", "Cats"): tagged["id"],
    }
    await post(node_client, ben, "only for followers #cats", visibility="private")
    await post(node_client, ben, "quietly #cats", visibility="unlisted")
    shown = await post(node_client, ben, "plain and public")
    assert [await socket.event() for _ in range(2)] == [
        (["public"], "update", await _anonymous(node_client, shown["id"])),
        (["public:local"], "update", await _anonymous(node_client, shown["id"])),
    ]
    await socket.close()


async def _anonymous(client, status_id: str) -> dict:  # type: ignore[no-untyped-def]
    code, body = await call(client, "GET", f"/api/v1/statuses/{status_id}")
    assert code == 200
    return body


async def test_blocks_and_mutes_hide_events(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    carl_id, carl = await user(node, "carl")
    _, dora = await user(node, "dora")
    await follow(node_client, ana, ben_id)
    await follow(node_client, ana, carl_id)
    socket = await Socket.open(node_client, ana, "user", "public")
    await relate(node_client, ana, ben_id, "mute")
    await relate(node_client, carl, ana_id, "block")  # carl blocks ana: she may not see his posts
    await post(node_client, ben, "muted ben")
    await post(node_client, carl, "carl who blocks")
    await post(node_client, dora, "dora mentions @ben")  # mentions a muted account: hidden too
    control = await post(node_client, dora, "dora alone")
    assert await socket.event() == (["public"], "update", await _anonymous(node_client, control["id"]))
    await relate(node_client, ana, ben_id, "unmute")
    again = await post(node_client, ben, "ben again")
    events = [await socket.event() for _ in range(2)]
    assert {(tuple(s), e, p["id"]) for s, e, p in events} == {
        (("user",), "update", again["id"]),
        (("public",), "update", again["id"]),
    }
    await socket.close()


async def test_errors_for_tokens_streams_and_scopes(node_client, node_of):
    node = node_of(node_client)
    _, token = await user(node, "ana")
    _, writer = await create_user(node, "wri", scopes="write")
    cases = [
        ("/api/v1/streaming/user", None, 401, "Missing access token"),
        ("/api/v1/streaming/user", "not-a-token", 401, "Invalid access token"),
        ("/api/v1/streaming/nowhere", token, 400, "Unknown channel requested"),
        ("/api/v1/streaming/hashtag", token, 400, "Missing tag name parameter"),
        ("/api/v1/streaming/user", writer, 401, "Access token does not have the required scopes"),
        ("/api/v1/streaming", token, 400, "Unknown channel requested"),  # not a WebSocket upgrade
    ]
    for path, bad, status, message in cases:
        response = await node_client.get(path, headers=bearer(bad) if bad else {})
        assert (response.status, await response.json()) == (status, {"error": message}), path
    response = await node_client.get("/api/v1/streaming/public?access_token=nope")
    assert response.status == 401
    # a refused WebSocket upgrade says why, as Mastodon's does
    for headers, message in (({}, "Missing access token"), (bearer("nope"), "Invalid access token")):
        response = await node_client.get(
            "/api/v1/streaming",
            headers={
                **headers,
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert response.status == 401 and response.headers["X-Error-Message"] == message
    socket = await Socket.open(node_client, writer, "public")  # public streams need no scope
    await socket.subscribe("user")
    assert await socket.receive() == {
        "error": "Access token does not have the required scopes",
        "status": 401,
    }
    await socket.subscribe("no-such-stream")
    assert await socket.receive() == {
        "error": "Access token does not have the required scopes",
        "status": 401,
    }
    reader = await Socket.open(node_client, token)
    await reader.subscribe("no-such-stream")
    assert await reader.receive() == {"error": "Unknown stream type", "status": 400}
    await reader.close()
    await socket.subscribe({"stream": "hashtag"})
    assert await socket.receive() == {"error": "Missing tag name parameter", "status": 400}
    await socket.ws.send_str("not json")  # ignored, as Mastodon does
    await socket.sync()
    await socket.ws.send_bytes(b"\x00")
    closing = await socket.ws.receive()
    assert closing.type.name in ("CLOSE", "CLOSED") and socket.ws.close_code == 1003


async def test_token_by_query_and_websocket_protocol(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    by_query = await Socket.open(
        node_client, None, path=f"/api/v1/streaming?access_token={ana}&stream=public"
    )
    by_protocol = await Socket.open(node_client, None, "public", protocols=(ben,))
    assert by_protocol.ws.protocol == ben  # echoed, as browsers require
    status = await post(node_client, ben, "to both")
    assert (await by_query.event())[2]["id"] == status["id"]
    assert (await by_protocol.event())[2]["id"] == status["id"]
    await by_query.subscribe("public", kind="unsubscribe")
    await by_query.sync()
    second = await post(node_client, ben, "only the protocol one")
    assert (await by_protocol.event())[2]["id"] == second["id"]
    await by_query.sync()  # nothing came before the sync answer
    await by_query.close()
    await by_protocol.close()


async def test_server_sent_events(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    await follow(node_client, ana, ben_id)
    home = await EventStream.open(node_client, "/api/v1/streaming/user", ana)
    notifications = await EventStream.open(node_client, "/api/v1/streaming/user/notification", ana)
    tag = await EventStream.open(node_client, "/api/v1/streaming/hashtag?tag=news", ana)
    local = await EventStream.open(node_client, "/api/v1/streaming/public/local", ana)
    status = await post(node_client, ben, "breaking #news")
    for stream in (home, tag, local):
        name, data = await stream.event()
        assert name == "update" and json.loads(data)["id"] == status["id"]
    await follow(node_client, ben, ana_id)
    name, data = await notifications.event()
    assert name == "notification" and json.loads(data)["type"] == "follow"
    assert (await home.event())[0] == "notification"  # the user stream carries notifications too
    for stream in (home, notifications, tag, local):
        stream.close()


async def test_session_cookie_only_from_the_nodes_own_origin(node_client, node_of):
    node = node_of(node_client)
    user_row, _ = await create_user(node, "ana")
    _, ben = await user(node, "ben")
    with node.db:
        secret, _ = await auth.start_session(user_row)
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}
    own = node.base_url
    socket = await Socket.open(node_client, None, "public", headers={**cookie, "Origin": own})
    status = await post(node_client, ben, "seen by the page")
    assert (await socket.event())[2]["id"] == status["id"]
    await socket.close()
    for origin in ("http://evil.example", None):  # a WebSocket is cross-origin by nature: Origin is required
        headers = {**cookie, **({"Origin": origin} if origin else {})}
        with pytest.raises(WSServerHandshakeError) as refused:
            await node_client.ws_connect("/api/v1/streaming", headers=headers)
        assert refused.value.status == 401
    events = await EventStream.open(node_client, "/api/v1/streaming/public", None, headers=cookie)
    events.close()
    response = await node_client.get(
        "/api/v1/streaming/public", headers={**cookie, "Origin": "http://evil.example"}
    )
    assert (response.status, await response.json()) == (401, {"error": "Missing access token"})


async def test_mastodon_py_streams_over_server_sent_events(aiohttp_client, make_config):
    """Mastodon.py's stream_user / stream_public / stream_hashtag, unmodified, each in its own thread."""
    port = free_port()
    config = make_config(node={"domain": f"127.0.0.1:{port}"})
    client = await aiohttp_client(build_app(config, scheduler=False), server_kwargs={"port": port})
    node = client.app[NODE]
    base = f"http://127.0.0.1:{port}"
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    await follow(client, ana, ben_id)

    def connect() -> tuple[Mastodon, dict[str, Collector], list]:
        api = Mastodon(access_token=ana, api_base_url=base)
        assert api.stream_healthy()
        listeners = {name: Collector() for name in ("user", "public", "hashtag")}
        handles = [
            api.stream_user(listeners["user"], run_async=True),
            api.stream_public(listeners["public"], run_async=True),
            api.stream_hashtag("birds", listeners["hashtag"], run_async=True),
        ]
        for listener in listeners.values():
            assert listener.ready.wait(10)  # the stream's opening comment: subscribed
        return api, listeners, handles

    api, listeners, handles = await asyncio.to_thread(connect)
    try:
        status = await post(client, ben, "a #birds post")
        for name in ("user", "public", "hashtag"):
            event, payload = await asyncio.to_thread(listeners[name].next)
            assert event == "update" and str(payload["id"]) == status["id"], name
            assert payload["account"]["acct"] == "ben"
        mine = await post(client, ana, "ana's own")
        await call(client, "POST", f"/api/v1/statuses/{mine['id']}/favourite", ben)
        seen = [await asyncio.to_thread(listeners["user"].next) for _ in range(2)]
        assert seen[0] == ("update", seen[0][1]) and str(seen[0][1]["id"]) == mine["id"]
        assert seen[1][0] == "notification" and seen[1][1]["type"] == "favourite"
        assert str(seen[1][1]["account"]["id"]) == ben_id and str(seen[1][1]["status"]["id"]) == mine["id"]
        event, payload = await asyncio.to_thread(listeners["public"].next)
        assert event == "update" and str(payload["id"]) == mine["id"]  # no tag: not on the hashtag stream
        await call(client, "PUT", f"/api/v1/statuses/{status['id']}", ben, json={"status": "edited #birds"})
        await call(client, "DELETE", f"/api/v1/statuses/{status['id']}", ben)
        for name in ("user", "public", "hashtag"):
            event, payload = await asyncio.to_thread(listeners[name].next)
            assert event == "status_update" and "edited" in payload["content"], name
            event, deleted = await asyncio.to_thread(listeners[name].next)
            assert (event, str(deleted)) == ("delete", status["id"]), name
        # the payload-less events, as Mastodon encodes them, reach Mastodon.py's own handlers
        await streaming.filters_changed(node, int(ana_id))
        await streaming.notifications_merged(node, int(ana_id))
        assert await asyncio.to_thread(listeners["user"].next) == ("filters_changed", None)
        assert await asyncio.to_thread(listeners["user"].next) == ("notifications_merged", None)
    finally:
        # end the streams from the server side first: closing a requests stream blocks while it reads
        node.streams.disconnect_all()
        await asyncio.gather(*(asyncio.to_thread(handle.close) for handle in handles))
    assert ana_id


class Collector(StreamListener):
    """Mastodon.py listener that queues what arrives; `ready` is set by the stream's opening comment."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.events: queue.Queue[tuple[str, object]] = queue.Queue()

    def handle_heartbeat(self) -> None:
        self.ready.set()

    def on_update(self, status) -> None:  # type: ignore[no-untyped-def]
        self.events.put(("update", status))

    def on_status_update(self, status) -> None:  # type: ignore[no-untyped-def]
        self.events.put(("status_update", status))

    def on_delete(self, status_id) -> None:  # type: ignore[no-untyped-def]
        self.events.put(("delete", status_id))

    def on_notification(self, notification) -> None:  # type: ignore[no-untyped-def]
        self.events.put(("notification", notification))

    def on_filters_changed(self) -> None:
        self.events.put(("filters_changed", None))

    def on_notifications_merged(self) -> None:
        self.events.put(("notifications_merged", None))

    def next(self) -> tuple[str, object]:
        return self.events.get(timeout=WAIT)


async def test_revoking_a_token_closes_its_streams(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    socket = await Socket.open(node_client, ana, "user")
    events = await EventStream.open(node_client, "/api/v1/streaming/public", ana)
    other = await Socket.open(node_client, ben, "public")
    response = await node_client.post("/oauth/revoke", data={"token": ana})
    assert response.status == 200
    closing = await asyncio.wait_for(socket.ws.receive(), WAIT)
    assert closing.type.name in ("CLOSE", "CLOSED")
    assert await asyncio.wait_for(events.response.content.read(), WAIT) == b""  # the event stream ended
    status = await post(node_client, ben, "still streaming for ben")
    assert (await other.event())[2]["id"] == status["id"]
    response = await node_client.get("/api/v1/streaming/public", headers=bearer(ana))
    assert (response.status, await response.json()) == (401, {"error": "Invalid access token"})
    await other.close()


async def test_streams_other_features_define(node_client, node_of):
    """The extension point the lists feature (and our own extensions) use: a defined stream resolves with
    Mastodon's errors and carries what is published to its channel."""
    node = node_of(node_client)
    ana_row, ana = await create_user(node, "ana")
    _, ben = await user(node, "ben")
    lists = {"7": ana_row.account_id}  # list id -> owner, as the lists feature would answer

    async def owner_of(list_id: str) -> int | None:
        return lists.get(list_id)

    node.streams.define("list", streams.list_resolver(owner_of))
    socket = await Socket.open(node_client, ana, {"stream": "list", "list": "7"})
    for params, error in (
        ({}, ("Missing list name parameter", 400)),
        ({"list": "8"}, ("Not authorized to stream this list", 401)),
    ):
        await socket.subscribe({"stream": "list", **params})
        assert await socket.receive() == {"error": error[0], "status": error[1]}
    denied = await node_client.get("/api/v1/streaming/list?list=7", headers=bearer(ben))
    assert (denied.status, await denied.json()) == (401, {"error": "Not authorized to stream this list"})
    # not subscribed to her user stream on this socket: the first event to arrive is the list's
    await streaming.publish(node, streaming.user_channel(ana_row.account_id), "entativa.test.ping", {"n": 1})
    await streaming.publish(node, streaming.list_channel(7), "update", {"id": "1", "content": "listed"})
    assert await socket.event() == (["list", "7"], "update", {"id": "1", "content": "listed"})
    # a plugin streams through its facade, under a name of its own
    api = NodeApi(
        "demo", {}, node_name="n", base_url=node.base_url, data_dir=node.config.data_dir, theme="vignette"
    )
    api._bind(node)
    await socket.subscribe("user")
    await socket.sync()
    await api.stream(ana_row.account_id, "demo.changed", {"x": 1})
    assert await socket.event() == (["user"], "demo.changed", {"x": 1})
    with pytest.raises(ValueError):
        await api.stream(ana_row.account_id, "update", {"id": "1"})
    events = await EventStream.open(node_client, "/api/v1/streaming/list?list=7", ana)
    await streaming.publish(node, streaming.list_channel(7), "delete", "1")
    assert await events.event() == ("delete", "1")
    events.close()
    await socket.close()


async def test_media_streams_carry_only_statuses_with_media(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    media_sse = await EventStream.open(node_client, "/api/v1/streaming/public/local?only_media=true", ana)
    socket = await Socket.open(node_client, ana, "public:media")
    await post(node_client, ben, "no picture here")
    code, media = await upload(node_client, ben, png_bytes(), "dot.png", "image/png")
    assert code == 200, media
    pictured = await post(node_client, ben, "a picture", media_ids=[media["id"]])
    name, data = await media_sse.event()
    assert name == "update" and json.loads(data)["id"] == pictured["id"]
    stream, event, payload = await socket.event()
    assert (stream, event, payload["id"]) == (["public:media"], "update", pictured["id"])
    assert payload["media_attachments"][0]["id"] == media["id"]
    media_sse.close()
    await socket.close()
