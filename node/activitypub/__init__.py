"""The node as an ActivityPub server: actor documents, inbox, outbox, the delivery queue, resolution of
remote accounts and posts, and moderation across servers. The protocol itself lives in `federation/`;
this package is where it meets our models and services.

`attach()` wires a started node (client, verifier, handlers, outbox subscribers), `start_workers()` runs
the inbox and delivery loops in the server, `detach()` stops and closes everything. Tests skip the
workers and call `settle()` (or the `drain()` of `inbox` and `delivery`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp.abc import AbstractResolver

from federation.signatures import SignatureVerifier

from . import (
    actors,
    delivery,
    featured,
    handlers,
    inbox,
    outbox,
    quote_requests,  # noqa: F401  (registers the QuoteRequest handler)
    state,
    stories,
    takes,
    tombstones,
)

if TYPE_CHECKING:
    from ..runtime import Node


async def attach(node: Node, resolver: AbstractResolver | None = None) -> None:
    fed = state.open_state(node, resolver)
    node.federation = fed
    fed.verifier = SignatureVerifier(actors.key_resolver(node))
    fed.registry = await handlers.build_registry(node)
    fed.inbox_writer = inbox.InboxWriter(node)
    outbox.subscribe(node)
    featured.subscribe(node)
    tombstones.subscribe(node)
    takes.install()
    takes.subscribe(node)
    stories.subscribe(node)


def start_workers(node: Node) -> None:
    fed = state.of(node)
    if not node.config.federation.enabled or fed.tasks:
        return
    loop = asyncio.get_running_loop()
    with state.bound(node):
        fed.tasks = [loop.create_task(inbox.worker(node)), loop.create_task(delivery.worker(node))]


async def detach(node: Node) -> None:
    fed = getattr(node, "federation", None)
    if fed is None:
        return
    for task in fed.tasks:
        task.cancel()
    await asyncio.gather(*fed.tasks, return_exceptions=True)
    fed.tasks = []
    await fed.client.close()


async def settle(node: Node, now: datetime | None = None) -> int:
    """Apply everything received and attempt everything due (one node); returns the work done."""
    with state.bound(node):
        await node.settle()
        done = await inbox.drain(node)
        await node.settle()
        done += await delivery.drain(node, now)
    return done
