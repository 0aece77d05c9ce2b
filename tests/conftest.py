"""Shared fixtures: a real node (temp SQLite file, real aiohttp server on loopback) per test.

`node_client` is an aiohttp TestClient talking real HTTP to a real TestServer; `client.app[NODE]` is the
running node, and service calls made from a test go inside `with node.db:`. Helpers live in support.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import postgres_databases
import pytest
import support
from support import write_config

from node.api import params
from node.api.keys import NODE
from node.app import build_app
from node.config import Config
from node.runtime import Node

# A node that ran a test's flows logs no traceback: an error logged with exc_info by node code (or by aiohttp
# answering a 500) fails the test that caused it, unless the test is marked `logs_errors` because it
# provokes that failure on purpose.
# A handler that reads a parameter its @endpoint declaration does not list fails (node/api/params.py): so any
# test that reaches it catches a /api/openapi.json that no longer says what the route reads.
params.STRICT = True

NODE_LOGGERS = ("node", "federation", "plugins", "_entativa_plugin_", "aiohttp.server", "aiohttp.web")


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.name.startswith(NODE_LOGGERS):
            self.records.append(record)


@pytest.fixture(autouse=True)
def clean_log(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    handler = _Tracebacks()
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    if handler.records and request.node.get_closest_marker("logs_errors") is None:
        first = handler.records[0]
        pytest.fail(f"node code logged {len(handler.records)} traceback(s); the first, from {first.name}:\n"
                    f"{logging.Formatter().format(first)}", pytrace=False)


@pytest.fixture(autouse=True)
def postgres_cleanup():  # type: ignore[no-untyped-def]
    """On the PostgreSQL run, drop the databases this test's nodes used (autouse: torn down after them)."""
    yield
    postgres_databases.drop_databases()


SEARCH_BACKENDS = ("postgres", "whoosh")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """On the PostgreSQL run, a test marked `search_backends` runs with each search backend; on SQLite, with
    Whoosh only (the PostgreSQL backend needs a PostgreSQL database), under its usual name."""
    if postgres_databases.CLUSTER and metafunc.definition.get_closest_marker("search_backends"):
        metafunc.parametrize("search_backend", SEARCH_BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def search_backend(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The search backend the nodes this test makes get (autouse: chosen before any node is made)."""
    chosen = getattr(request, "param", "whoosh")
    support.SEARCH_BACKEND[0] = chosen
    yield chosen
    support.SEARCH_BACKEND[0] = "whoosh"


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    def make(**sections: dict[str, Any]) -> Config:
        return write_config(tmp_path, **sections)

    return make


@pytest.fixture
async def node_client(aiohttp_client, make_config):  # type: ignore[no-untyped-def]
    """A served node with the default test config."""
    return await aiohttp_client(build_app(make_config(), scheduler=False))


@pytest.fixture
def node_of() -> Callable[[Any], Node]:
    return lambda client: client.app[NODE]


@pytest.fixture
async def cluster(tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Several federating nodes in this process (tests/federation_nodes.py). A test module that sets
    `CLUSTER = E2EECluster` (tests/e2ee_support.py) gets nodes with the e2ee plugin instead."""
    from federation_nodes import Cluster

    made = getattr(request.module, "CLUSTER", Cluster)(tmp_path)
    yield made
    await made.close()


@pytest.fixture
async def crypto_pair(cluster):  # type: ignore[no-untyped-def]
    """Two nodes, alice on node-a and bob on node-b, each with a crypto-scoped token."""
    from e2ee_support import crypto_user

    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    return a, b, alice_token, bob_token



@pytest.fixture
def mail_sink():  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback (aiosmtpd) that keeps and parses what it receives."""
    from smtp_server import MailSink

    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
async def push_receiver():  # type: ignore[no-untyped-def]
    """A real Web Push receiver on loopback; set `vapid_public` to the node's key before pushing."""
    from push_receiver import PushReceiver

    receiver = await PushReceiver("").start()
    yield receiver
    await receiver.close()
