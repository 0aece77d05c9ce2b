"""A federating node for the federation benchmarks: federation on, loopback allowed, and a host map
so `*.test` names reach loopback servers with their real Host headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp.test_utils import TestServer
from harness import NO_RATE_LIMITS, storage_lines

from federation.hostmap import StaticHostResolver
from node import config as config_module
from node.api.keys import NODE
from node.app import build_app
from node.runtime import Node


@asynccontextmanager
async def federating_node(folder: Path, resolver: StaticHostResolver,
                          domain: str = "bench.test") -> AsyncIterator[tuple[Node, TestServer]]:
    path = folder / "node.toml"
    path.write_text(f'[node]\ndomain = "{domain}"\nregistrations = "open"\n{storage_lines()}'
                    f'[federation]\nenabled = true\nallow_private_addresses = true\n' + NO_RATE_LIMITS)
    app = build_app(config_module.load(path), scheduler=False, resolver=resolver)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    resolver.add(domain, "127.0.0.1", server.port)
    try:
        yield app[NODE], server
    finally:
        await server.close()
