"""A node as several processes on one PostgreSQL database: what only one of them may do, and the parent that
runs N web processes on one port.

Every process serves and drains the queues (deliveries and inbox activities are claimed with
`FOR UPDATE SKIP LOCKED`: node/activitypub/claims.py; pending effects are taken the same way:
node/effects.py), and the streaming hub reaches the others through LISTEN/NOTIFY
(node/streaming/postgres.py). The scheduler's periodic jobs and the writing of the Whoosh index run in one
process only: the one holding a PostgreSQL advisory lock, taken on a connection of its own, so when that
process dies its connection closes, the lock is free, and another process takes it within `ELECTION_SECONDS`.
SQLite nodes are one process: asking for more is refused with a readable message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import asyncpg

from .config import Config
from .errors import DomainError

if TYPE_CHECKING:
    from .runtime import Node

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 0x656E7400  # session advisory lock: whoever holds it runs the scheduler
ELECTION_SECONDS = 5.0  # how often a process without the lock tries for it
ABSORB_SECONDS = 2  # how often the index writer takes the index work the other processes journaled


SLOT_LOCKS = 0x656E7500  # session advisory locks SLOT_LOCKS + n: process n's share of new ids


async def take_id_slot(config: Config) -> asyncpg.Connection:
    """Hold a free id slot for this process (node.models.base.snowflake), on a connection kept open while
    the process lives: a dead process's slot is free again when PostgreSQL drops its connection."""
    from .models.base import SLOT_BITS, use_process_slot

    connection = await asyncpg.connect(dsn(config))
    for slot in range(2**SLOT_BITS):
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", SLOT_LOCKS + slot):
            use_process_slot(slot)
            return connection
    await connection.close()
    raise SingleProcessOnly(f"every one of the {2**SLOT_BITS} process slots is taken: run fewer processes")


class SingleProcessOnly(DomainError):
    """Several processes asked of a SQLite node."""


def require_postgres(config: Config, what: str) -> None:
    if config.database_url.startswith("sqlite://"):
        raise SingleProcessOnly(
            f"{what} needs PostgreSQL: a SQLite node runs as one process (its database is one file with one "
            "writer). Run `entativa serve` without --workers, or move with `entativa migrate-to-postgres "
            "postgres://...` and set storage.database to it (docs/operating.md, \"When you outgrow one machine\")")


def dsn(config: Config) -> str:
    from .postgres_copy import dsn as postgres_dsn

    return postgres_dsn(config.database_url)


class Election:
    """Holds, or keeps trying for, the scheduler's advisory lock; `elected` runs once this process has it."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.connection: asyncpg.Connection | None = None
        self.leader = False
        self._task: asyncio.Task | None = None

    async def try_once(self) -> bool:
        """Try for the lock once (tests call this); True when this process holds it."""
        if self.leader:
            return True
        if self.connection is None or self.connection.is_closed():
            self.connection = await asyncpg.connect(dsn(self.node.config))
        if await self.connection.fetchval("SELECT pg_try_advisory_lock($1)", SCHEDULER_LOCK):
            self.leader = True
            self.elected()
        return self.leader

    def elected(self) -> None:
        from .jobs import start_scheduler

        log.info("this process runs the scheduler and writes the search index")
        if self.node.search is not None:
            self.node.search.become_writer()
        start_scheduler(self.node)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self.leader:
            try:
                await self.try_once()
            except (OSError, asyncpg.PostgresError):
                log.exception("could not try for the scheduler lock")
            if not self.leader:
                await asyncio.sleep(ELECTION_SECONDS)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.connection is not None:
            await self.connection.close()  # the lock goes with the session


async def absorb_index_work(node: Node) -> None:
    """The index writer's job: index what the other processes journaled."""
    if node.search is not None:
        await node.search.absorb()


def supervise(config_path: str | None, workers: int) -> int:
    """Run `workers` web processes (`entativa serve --shared`) on one port and restart any that dies; stop
    them all on SIGTERM or Ctrl-C."""
    base = [sys.executable, "-m", "node", *(["--config", config_path] if config_path else []), "serve", "--shared"]
    children: list[subprocess.Popen] = [subprocess.Popen(base) for _ in range(workers)]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for n, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    print(f"entativa: web process {child.pid} exited ({child.returncode}); starting another",
                          file=sys.stderr, flush=True)
                    time.sleep(1)  # a process that cannot start at all must not spin
                    children[n] = subprocess.Popen(base)
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0
