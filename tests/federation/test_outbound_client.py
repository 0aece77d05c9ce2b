"""FederationClient over real loopback servers: fake hostnames with real Host headers, the SSRF guard
(at connect time, for IP literals, and on every redirect hop), size caps, timeouts and statuses."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver

from federation.as2 import AS2_ACCEPT
from federation.client import (
    BlockedDestinationError,
    FederationClient,
    FetchError,
    HttpStatusError,
    ResponseTooLargeError,
)
from federation.hostmap import StaticHostResolver
from federation.netguard import BlockedAddressError, GuardedResolver


@pytest.fixture
async def peer(aiohttp_server):
    """A peer recording what reached it."""
    seen: list[dict] = []

    async def record(request: web.Request) -> web.Response:
        seen.append({"path": request.path_qs, "host": request.headers.get("Host"),
                     "accept": request.headers.get("Accept"), "signature": request.headers.get("Signature")})
        return web.json_response({"id": f"http://{request.host}{request.path}", "type": "Note"},
                                 content_type="application/activity+json")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()  # chunked: no Content-Length to trust
        await resp.prepare(request)
        try:
            for _ in range(64):
                await resp.write(b"x" * 65536)
        except ConnectionResetError:  # the client hung up past its cap, as the test wants: stop writing
            pass
        return resp

    async def declared_big(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * (3 * 1024 * 1024))

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    async def gone(request: web.Request) -> web.Response:
        return web.json_response({"error": "gone"}, status=410)

    async def not_json(request: web.Request) -> web.Response:
        return web.Response(text="<html>hi</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/objects/{name}", record)
    app.router.add_post("/inbox", record)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/big", big)
    app.router.add_get("/declared-big", declared_big)
    app.router.add_get("/slow", slow)
    app.router.add_get("/gone", gone)
    app.router.add_post("/gone", gone)
    app.router.add_get("/html", not_json)
    server = await aiohttp_server(app)
    server.seen = seen
    return server


def _hosts(peer) -> StaticHostResolver:
    return StaticHostResolver({"node-a.test": ("127.0.0.1", peer.port), "evil.test": ("127.0.0.1", peer.port)})


@pytest.fixture
async def local_client(peer):
    """A client for local multi-node testing: private addresses allowed, fake names mapped."""
    async with FederationClient(resolver=_hosts(peer), allow_private_addresses=True, timeout=5) as client:
        yield client


@pytest.fixture
async def guarded_client(peer):
    """A production-like client: the same name map, but private addresses refused."""
    async with FederationClient(resolver=_hosts(peer)) as client:
        yield client


async def test_fake_hostname_reaches_loopback_with_real_host_header(local_client, peer):
    doc = await local_client.get_activity("http://node-a.test/objects/1")
    assert doc == {"id": "http://node-a.test/objects/1", "type": "Note"}
    assert peer.seen[-1]["host"] == "node-a.test"
    assert peer.seen[-1]["accept"] == AS2_ACCEPT


async def test_host_header_keeps_a_non_default_port(local_client, peer):
    await local_client.get_activity("http://node-a.test:18101/objects/2")
    assert peer.seen[-1]["host"] == "node-a.test:18101"


async def test_signed_get_carries_a_signature_and_real_host(local_client, peer, signing_key):
    await local_client.get_activity("http://node-a.test/objects/3", sign_with=signing_key)
    assert peer.seen[-1]["host"] == "node-a.test"
    assert 'headers="(request-target) host date"' in peer.seen[-1]["signature"]


async def test_name_resolving_to_loopback_is_blocked_at_connect_time(guarded_client, peer):
    with pytest.raises(BlockedDestinationError) as err:
        await guarded_client.get_activity("http://evil.test/objects/1")
    assert "127.0.0.1" in err.value.reason
    assert peer.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[fe80::1]/x",
        "http://[fd00::1]/x",
        "file:///etc/passwd",
        "gopher://node-a.test/x",
        "http://user:pw@node-a.test/x",
    ],
)
async def test_literal_private_addresses_and_bad_schemes_are_never_contacted(guarded_client, peer, url):
    with pytest.raises(BlockedDestinationError):
        await guarded_client.request("GET", url)
    assert peer.seen == []


async def test_private_literal_allowed_when_configured(local_client, peer):
    await local_client.get_activity(f"http://127.0.0.1:{peer.port}/objects/4")
    assert peer.seen[-1]["host"] == f"127.0.0.1:{peer.port}"


class RebindingResolver(AbstractResolver):
    """Answers a public address the first time and loopback afterwards, like a rebinding attacker."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "127.0.0.1"
        return [{"hostname": host, "host": address, "port": self.port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


async def test_dns_rebinding_cannot_bypass_the_guard(peer):
    rebinding = RebindingResolver(peer.port)
    guard = GuardedResolver(rebinding)
    # An application-level pre-check sees a public address...
    assert (await guard.resolve("rebind.test", 80))[0]["host"] == "93.184.216.34"
    # ...but the connection resolves again, through the same guard, and is refused.
    async with FederationClient(resolver=rebinding) as client:
        with pytest.raises(BlockedDestinationError):
            await client.get_activity("http://rebind.test/objects/1")
    assert rebinding.calls == 2
    assert peer.seen == []


async def test_guard_drops_private_answers_and_keeps_public_ones():
    class Mixed(AbstractResolver):
        async def resolve(self, host, port=0, family=socket.AF_INET):
            return [{"hostname": host, "host": a, "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}
                    for a in ("10.0.0.5", "8.8.8.8", "::ffff:192.168.0.1")]

        async def close(self):
            pass

    results = await GuardedResolver(Mixed()).resolve("mixed.test", 443)
    assert [r["host"] for r in results] == ["8.8.8.8"]
    assert len(await GuardedResolver(Mixed(), allow_private_addresses=True).resolve("mixed.test", 443)) == 3

    class OnlyPrivate(Mixed):
        async def resolve(self, host, port=0, family=socket.AF_INET):
            return [{"hostname": host, "host": "192.168.1.1", "port": port, "family": socket.AF_INET,
                     "proto": 0, "flags": 0}]

    with pytest.raises(BlockedAddressError):
        await GuardedResolver(OnlyPrivate()).resolve("lan.test", 80)


async def test_redirects_are_followed_and_each_hop_is_checked(local_client, peer, signing_key):
    doc = await local_client.get_activity("http://node-a.test/redirect?to=/objects/moved", sign_with=signing_key)
    assert doc["id"] == "http://node-a.test/objects/moved"
    assert peer.seen[-1]["path"] == "/objects/moved" and peer.seen[-1]["signature"]  # re-signed for the new target
    with pytest.raises(BlockedDestinationError):
        await local_client.get_activity("http://node-a.test/redirect?to=file:///etc/passwd")


async def test_streamed_body_past_the_cap_is_aborted(local_client):
    with pytest.raises(ResponseTooLargeError):
        await local_client.request("GET", "http://node-a.test/big", max_bytes=1024 * 1024)
    ok = await local_client.request("GET", "http://node-a.test/big", max_bytes=8 * 1024 * 1024)
    assert len(ok.body) == 64 * 65536


async def test_stream_get_passes_a_body_on_piece_by_piece_under_the_same_guard_and_cap(local_client, guarded_client,
                                                                                      peer, signing_key):
    async with local_client.stream_get("http://node-a.test/redirect?to=/big", max_bytes=8 * 1024 * 1024,
                                       sign_with=signing_key) as response:
        assert response.status == 200 and response.url.endswith("/big")
        sizes = [len(chunk) async for chunk in response.chunks()]
    assert sum(sizes) == 64 * 65536 and len(sizes) > 1  # never one buffer of the whole body
    with pytest.raises(ResponseTooLargeError):
        async with local_client.stream_get("http://node-a.test/big", max_bytes=1024 * 1024) as response:
            async for _ in response.chunks():
                pass
    with pytest.raises(ResponseTooLargeError, match="declared"):
        async with local_client.stream_get("http://node-a.test/declared-big", max_bytes=1024 * 1024):
            pass
    with pytest.raises(BlockedDestinationError):
        async with guarded_client.stream_get("http://node-a.test/big", max_bytes=1024):
            pass


async def test_declared_oversize_body_is_refused_before_reading(local_client):
    with pytest.raises(ResponseTooLargeError, match="declared"):
        await local_client.request("GET", "http://node-a.test/declared-big")


async def test_slow_peer_times_out(peer):
    async with FederationClient(resolver=_hosts(peer), allow_private_addresses=True, timeout=0.3) as client:
        with pytest.raises(FetchError, match="timed out"):
            await client.request("GET", "http://node-a.test/slow")


async def test_non_2xx_and_non_json_raise_typed_errors(local_client, signing_key):
    with pytest.raises(HttpStatusError) as err:
        await local_client.get_activity("http://node-a.test/gone")
    assert err.value.status == 410
    with pytest.raises(HttpStatusError) as err:
        await local_client.post_activity("http://node-a.test/gone", {"type": "Like"}, sign_with=signing_key)
    assert err.value.status == 410
    with pytest.raises(FetchError, match="not JSON"):
        await local_client.get_activity("http://node-a.test/html")


async def test_unknown_host_is_a_fetch_error(local_client):
    with pytest.raises(FetchError, match="cannot connect"):
        await local_client.get_activity("http://nowhere.test/objects/1")


async def test_post_activity_sends_signed_json(local_client, peer, signing_key):
    resp = await local_client.post_activity("http://node-a.test/inbox", {"type": "Like"}, sign_with=signing_key)
    assert resp.status == 200
    assert 'headers="(request-target) host date digest content-type"' in peer.seen[-1]["signature"]
    assert json.loads(resp.body)["type"] == "Note"
