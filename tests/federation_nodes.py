"""Several federating nodes in one pytest process, and a loopback "remote server" for interop payloads.

Each node has its own config, SQLite file and TestServer; one StaticHostResolver maps `node-a.test`,
`node-b.test`... (and the peer server's host names) to the loopback ports, so every request keeps its
real Host header and signatures are checked as in production. Background work advances with `settle()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from support import bearer, create_user, write_config

from federation.as2 import build_person
from federation.client import FederationClient
from federation.hostmap import StaticHostResolver
from federation.signatures import SigningKey, generate_rsa_keypair
from node import activitypub
from node.api.keys import NODE
from node.app import build_app
from node.runtime import Node

_KEYS: tuple[str, str] | None = None


def peer_keypair() -> tuple[str, str]:
    """One RSA key pair per test process for the peer server's actors (generating keys is the slow part)."""
    global _KEYS
    if _KEYS is None:
        _KEYS = generate_rsa_keypair()
    return _KEYS


@dataclass
class FedNode:
    name: str
    domain: str
    client: TestClient

    @property
    def node(self) -> Node:
        return self.client.app[NODE]

    @property
    def base(self) -> str:
        return f"http://{self.domain}"

    async def user(self, name: str, **kwargs: Any) -> tuple[Any, str]:
        return await create_user(self.node, name, **kwargs)

    async def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = {**kwargs.pop("headers", {}), **(bearer(token) if token else {})}
        async with self.client.request(method, path, headers=headers, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

    def db(self) -> Any:
        return self.node.db


class Cluster:
    """The nodes of one test and the resolver they share."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.resolver = StaticHostResolver()
        self.nodes: list[FedNode] = []
        self.ports: dict[str, int] = {}
        self._servers: list[TestServer] = []

    async def add_node(self, name: str, **sections: dict[str, Any]) -> FedNode:
        folder = self.tmp_path / name
        folder.mkdir()
        domain = f"{name}.test"
        federation = {"enabled": True, "allow_private_addresses": True, **sections.pop("federation", {})}
        config = write_config(folder, node={"domain": domain, "scheme": "http", "registrations": "open"},
                              federation=federation, **sections)
        client = TestClient(TestServer(build_app(config, scheduler=False, resolver=self.resolver), host="127.0.0.1"))
        await client.start_server()
        self.ports[domain] = client.server.port  # type: ignore[assignment]
        self.resolver.add(domain, "127.0.0.1", client.server.port)
        fed = FedNode(name, domain, client)
        self.nodes.append(fed)
        return fed

    async def take_down(self, domain: str) -> None:
        """Make `domain` unreachable (its name points at a closed port), as a server that is down; the
        other nodes drop their pooled connections and cached addresses, as they would on a real outage."""
        self.resolver.add(domain, "127.0.0.1", 9)
        await self._reconnect()

    async def bring_up(self, domain: str) -> None:
        self.resolver.add(domain, "127.0.0.1", self.ports[domain])
        await self._reconnect()

    async def _reconnect(self) -> None:
        for fed in self.nodes:
            await fed.node.federation.client.close()

    async def serve(self, app: web.Application, *hosts: str) -> TestServer:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        self._servers.append(server)
        for host in hosts:
            self.resolver.add(host, "127.0.0.1", server.port)
        return server

    async def close(self) -> None:
        for fed in self.nodes:
            await fed.client.close()
        for server in self._servers:
            await server.close()


async def settle(nodes: Iterable[FedNode], now: datetime | None = None, rounds: int = 20) -> None:
    """Drain every node's inbox and delivery queue until nothing is left to do."""
    nodes = list(nodes)
    for _ in range(rounds):
        done = 0
        for fed in nodes:
            done += await activitypub.settle(fed.node, now)
        if not done:
            return
    raise AssertionError("federation did not settle")


@dataclass
class PeerServer:
    """A remote server for interop tests: serves actor documents (with a real RSA key) and objects by URL,
    and signs activities it sends to a node's inbox."""

    resolver: StaticHostResolver
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    private_pem: str = ""
    public_pem: str = ""
    requests: list[str] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # url -> (body, content type): pictures
    received: list[dict[str, Any]] = field(default_factory=list)  # activities POSTed to its inboxes
    accepts_deliveries: bool = False  # answer POSTs 202 and keep them in `received` (else 405, as before)

    def app(self) -> web.Application:
        async def handler(request: web.Request) -> web.Response:
            url = f"http://{request.host}{request.path_qs}"
            self.requests.append(url)
            if url in self.files:
                body, content_type = self.files[url]
                return web.Response(body=body, content_type=content_type)
            doc = self.docs.get(url) or self.docs.get(url.split("#")[0])
            if doc is None:
                return web.json_response({"error": "not found"}, status=404)
            return web.json_response(doc, content_type="application/activity+json")

        async def inbox(request: web.Request) -> web.Response:
            self.received.append(await request.json())  # what the node delivered to this server
            return web.Response(status=202)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        if self.accepts_deliveries:
            app.router.add_post("/{tail:.*}", inbox)
        return app

    def add_actor(self, uri: str, username: str | None = None, **extra: Any) -> dict[str, Any]:
        name = username or uri.rstrip("/").rsplit("/", 1)[-1]
        doc = build_person(uri, name, self.public_pem, shared_inbox=uri.split("/", 3)[0] + "//"
                           + uri.split("/")[2] + "/inbox", extra=extra or None)
        self.docs[uri] = doc
        return doc

    def key(self, actor: str) -> SigningKey:
        return SigningKey.from_pem(f"{actor}#main-key", self.private_pem)

    async def send(self, inbox: str, activity: dict[str, Any] | bytes, *, actor: str | None = None,
                   scheme: str = "cavage") -> int:
        """POST a signed activity; returns the HTTP status."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        signer = actor or (activity["actor"] if isinstance(activity, dict) else "")
        async with FederationClient(allow_private_addresses=True, resolver=self.resolver) as client:
            response = await client.request("POST", inbox, headers={"Content-Type": "application/activity+json"},
                                            body=body, sign_with=self.key(signer), scheme=scheme)  # type: ignore[arg-type]
            return response.status
