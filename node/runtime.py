"""The running node: config, database context, event bus, scheduler and the attached federation and search.

Everything a service needs from its surroundings comes through `Node`; nothing reads globals. This module
stays low in the import graph (it imports no service): node/lifecycle.py builds and stops a Node.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise import context as tortoise_context
from tortoise.context import TortoiseContext

from .clock import Clock
from .config import Config
from .events import EventBus
from .throttle import Throttles
from .urls import Urls

if TYPE_CHECKING:
    from .activitypub.state import Federation
    from .plugins import Plugins
    from .search.indexer import SearchIndex
    from .streaming.hub import Hub

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(eq=False)
class Node:
    config: Config
    db: TortoiseContext
    bus: EventBus = field(default_factory=EventBus)
    clock: Clock = field(default_factory=Clock)
    scheduler: AsyncIOScheduler | None = None
    plugins: Plugins = field(default_factory=lambda: _no_plugins())
    federation: Federation | None = None  # attached by node.activitypub.attach at start
    search: SearchIndex | None = None  # attached by node.search.attach at start
    streams: Hub | None = None  # attached by node.streaming.attach at start
    shared: bool = False  # one of several processes on one PostgreSQL database (node/processes.py)
    id_slot: Any = None  # with `shared`: the connection holding this process's id slot
    _tasks: set[asyncio.Task] = field(default_factory=set)

    @functools.cached_property
    def throttles(self) -> Throttles:
        """Rate limit and sign-in back-off counters (in memory, on this node's clock)."""
        return Throttles(self.config.limits, self.clock)

    @property
    def urls(self) -> Urls:
        return Urls(self.config.base_url)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @contextlib.contextmanager
    def bound(self) -> Iterator[None]:
        """Run with this node's database context. Not `with node.db:`: TortoiseContext keeps one reset token
        on itself, so tasks entering the same context at once (concurrent jobs, requests) overwrite each
        other's token and the exit fails with a ValueError. Each caller here keeps its own token."""
        token = tortoise_context._current_context.set(self.db)
        try:
            yield
        finally:
            tortoise_context._current_context.reset(token)

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-bound or blocking work (hashing, image decoding, Whoosh) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Start background work bound to this node's database; it is awaited on shutdown."""
        with self.bound():
            task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def settle(self) -> None:
        """Wait for spawned background work (tests call this instead of sleeping)."""
        while self._tasks:
            if self.search is not None:
                self.search.hurry()  # its pump may be pausing to batch index commits
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _no_plugins() -> Plugins:
    from .plugins import Plugins

    return Plugins.none()
