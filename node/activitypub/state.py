"""The per-node federation state: the outbound client, the instance actor's key, the signature verifier
with its key cache, the inbound activity registry, and the worker tasks (all opened and closed here)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp.abc import AbstractResolver

from federation.client import FederationClient
from federation.inbox import ActivityRegistry
from federation.signatures import (
    PublicKeyInfo,
    SignatureVerifier,
    SigningKey,
    generate_rsa_keypair,
    public_key_pem,
)
from federation.signatures.keys import load_private_key

if TYPE_CHECKING:
    from ..runtime import Node

USER_AGENT = "Entativa/0.1 (+https://entativa.social)"
# Set while an inbound activity is being applied: the outbox then ignores the events it causes, so
# remote content is never federated again by us (handlers send their own replies, e.g. Accept).
INBOUND: contextvars.ContextVar[bool] = contextvars.ContextVar("entativa_inbound", default=False)


@dataclass(eq=False)
class Federation:
    client: FederationClient
    instance_key: SigningKey
    instance_public_pem: str
    registry: ActivityRegistry = field(default_factory=ActivityRegistry)
    verifier: SignatureVerifier | None = None
    keys: dict[str, PublicKeyInfo] = field(default_factory=dict)  # keyId -> key (bounded in actors.py)
    wake_inbox: asyncio.Event = field(default_factory=asyncio.Event)
    wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task] = field(default_factory=list)
    inbox_writer: Any = None
    signing_keys: dict[int, SigningKey] = field(default_factory=dict)
    healthy_peers: set[str] = field(default_factory=set)  # hosts seen answering since start (skip revive)
    rfc9421_peers: set[str] = field(default_factory=set)
    highlights: dict[int, tuple[Any, list[Any]]] = field(default_factory=dict)  # account id -> (read at, remote highlights)
    replies_checked: dict[int, float] = field(default_factory=dict)  # status id -> when its replies were read


def instance_key_path(data_dir: Path) -> Path:
    return data_dir / "instance-key.pem"


def load_instance_key(data_dir: Path) -> str:
    """The instance actor's private key PEM; `entativa init` makes it, and a node started without init
    (tests, benchmarks) makes it here the same way."""
    path = instance_key_path(data_dir)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        private_pem, _ = generate_rsa_keypair()
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(private_pem)
    return path.read_text()


def open_state(node: Node, resolver: AbstractResolver | None) -> Federation:
    pem = load_instance_key(node.config.data_dir)
    key = SigningKey(f"{node.urls.base}/actor#main-key", load_private_key(pem))
    client = FederationClient(user_agent=USER_AGENT,
                              allow_private_addresses=node.config.federation.allow_private_addresses,
                              resolver=resolver, limit_per_host=node.config.federation.delivery_concurrency)
    return Federation(client=client, instance_key=key, instance_public_pem=public_key_pem(key.key))  # type: ignore[arg-type]


def of(node: Node) -> Federation:
    state = getattr(node, "federation", None)
    if state is None:
        raise RuntimeError("federation is not attached to this node")
    return state


@contextlib.contextmanager
def bound(node: Node) -> Iterator[None]:
    """Run with the node's database context (see Node.bound)."""
    with node.bound():
        yield


@contextlib.contextmanager
def inbound() -> Iterator[None]:
    token = INBOUND.set(True)
    try:
        yield
    finally:
        INBOUND.reset(token)


@contextlib.contextmanager
def outbound_again() -> Iterator[None]:
    """Inside an inbound-marked write, record an effect that must federate after all (a story reply's own
    Story:Reply, written with the direct message whose Create is held back)."""
    token = INBOUND.set(False)
    try:
        yield
    finally:
        INBOUND.reset(token)
