"""Helpers for the E2EE tests (importable as `e2ee_support`): nodes with the e2ee plugin on, users with
`crypto` tokens, client devices on either backend that talk real HTTP to the nodes through the shared
loopback resolver, and a capture of every HTTP body the nodes receive and answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import TestClient, TestServer
from federation_nodes import Cluster, FedNode, settle
from support import create_user, write_config

from node.app import build_app
from plugins.e2ee.client import E2EEClient, NodeClient

SCOPES = "read write follow push crypto"


@dataclass
class Capture:
    """Every request and response body the nodes' HTTP servers saw (clients' and other nodes' alike)."""

    bodies: list[bytes] = field(default_factory=list)

    def middleware(self) -> Any:
        @web.middleware
        async def capture(request: web.Request, handler: Any) -> web.StreamResponse:
            self.bodies.append(request.path_qs.encode() + b"\n" + b"\n".join(
                f"{k}: {v}".encode() for k, v in request.headers.items()))
            if request.body_exists:
                body = await request.content.read()
                self.bodies.append(body)
                # Handlers that stream the body (the inbox) read it again from a fresh reader.
                # a limit above the body: feeding more than twice the limit would pause the live connection
                replay = StreamReader(request.protocol, 2**16 + len(body), loop=asyncio.get_running_loop())
                replay.feed_data(body)
                replay.feed_eof()
                request._payload = replay  # type: ignore[attr-defined]
                request._cache.pop("content", None)  # type: ignore[attr-defined]  # `content` is a cached property
            response = await handler(request)
            body = getattr(response, "body", None)
            if isinstance(body, bytes | bytearray):
                self.bodies.append(bytes(body))
            elif body is not None and hasattr(body, "_value"):
                self.bodies.append(bytes(body._value))
            return response

        return capture


class E2EECluster(Cluster):
    """Federating nodes with the e2ee plugin enabled, optionally capturing their HTTP bodies."""

    def __init__(self, tmp_path: Path, capture: Capture | None = None) -> None:
        super().__init__(tmp_path)
        self.capture = capture
        self.sessions: list[aiohttp.ClientSession] = []

    async def add_node(self, name: str, e2ee: dict[str, Any] | None = None, theme: str = "vignette",
                       **sections: dict[str, Any]) -> FedNode:
        """`e2ee`: the node's [plugins.e2ee] settings; `node` fields are added to the [node] table."""
        folder = self.tmp_path / name
        folder.mkdir()
        domain = f"{name}.test"
        config = write_config(folder, node={"domain": domain, "scheme": "http", "registrations": "open",
                                            "theme": theme, **sections.pop("node", {})},
                              federation={"enabled": True, "allow_private_addresses": True},
                              plugins={"enabled": ["e2ee"], **({"e2ee": e2ee} if e2ee else {})}, **sections)
        app = build_app(config, scheduler=False, resolver=self.resolver)
        if self.capture is not None:
            app.middlewares.insert(0, self.capture.middleware())
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        self.ports[domain] = client.server.port  # type: ignore[assignment]
        self.resolver.add(domain, "127.0.0.1", client.server.port)
        fed = FedNode(name, domain, client)
        self.nodes.append(fed)
        return fed

    def http(self) -> aiohttp.ClientSession:
        """A client session whose `*.test` names reach the loopback nodes (one per device, like real apps)."""
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=self.resolver, force_close=True))
        self.sessions.append(session)
        return session

    async def device(self, fed: FedNode, token: str, backend: str = "vodozemac", **kwargs: Any) -> E2EEClient:
        client = E2EEClient(NodeClient(fed.base, token, self.http()), backend, **kwargs)
        await client.setup()
        return client

    async def settle(self) -> None:
        await settle(self.nodes)

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        await super().close()


async def crypto_user(fed: FedNode, name: str) -> tuple[Any, str]:
    return await create_user(fed.node, name, scopes=SCOPES)


async def account_id_on(client: E2EEClient, handle: str) -> str:
    """The id of `handle` (user@host) on the client's node, resolving remote accounts."""
    return str((await client.api.lookup(handle))["id"])
