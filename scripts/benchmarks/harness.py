"""What every benchmark shares: a result row, percentiles, and a throwaway node on a real port."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from node import config as config_module
from node.api.keys import NODE
from node.app import build_app
from node.runtime import Node

REPO = Path(__file__).resolve().parents[2]
# Set by `scripts/bench --postgres` for the PostgreSQL pass (a cluster's URL): each benchmark's node then gets
# a fresh database there. Benchmarks that seed their data straight into SQLite copy it over with
# `move_to_postgres`, the same copy `entativa migrate-to-postgres` makes.
POSTGRES_ENV = "ENTATIVA_BENCH_POSTGRES"


def postgres() -> str:
    """The cluster's URL on the PostgreSQL pass, else empty."""
    return os.environ.get(POSTGRES_ENV, "")


def fresh_database() -> str:
    """A new empty database on the benchmark's PostgreSQL cluster; returns its URL."""
    import threading
    import uuid

    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(postgres())
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await connection.close()

    thread = threading.Thread(target=lambda: asyncio.run(create()))  # callers may be inside a running loop
    thread.start()
    thread.join()
    return postgres().rsplit("/", 1)[0] + "/" + name


def storage_lines(seeded: bool = False) -> str:
    """The [storage] table of a benchmark node: SQLite in data/, or (PostgreSQL pass, unless the benchmark
    seeds SQLite first) a fresh PostgreSQL database."""
    database = f'database = "{fresh_database()}"\n' if postgres() and not seeded else ""
    return f'[storage]\ndata_dir = "data"\n{database}'


async def move_to_postgres(config_path: Path) -> config_module.Config:
    """On the PostgreSQL pass: copy the seeded SQLite node into a fresh database and point its node.toml
    there. Otherwise the config as it is."""
    config = config_module.load(config_path)
    if not postgres():
        return config
    from node.db import APPS
    from node.postgres_copy import copy_to_postgres

    url = fresh_database()
    await copy_to_postgres(config.database_url, url, APPS)
    text = config_path.read_text().replace('[storage]\ndata_dir = "data"\n',
                                           f'[storage]\ndata_dir = "data"\ndatabase = "{url}"\n')
    config_path.write_text(text)
    return config_module.load(config_path)


@dataclass
class Result:
    benchmark: str
    metric: str
    value: float
    unit: str
    target: str = ""  # e.g. "< 25" or "> 500", in `unit`
    note: str = ""

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        op, number = self.target.split()
        return self.value < float(number) if op == "<" else self.value > float(number)

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def p50_p95(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), percentile(samples, 95)


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start


# A benchmark is one client far faster than a person: the API rate limits would refuse it.
NO_RATE_LIMITS = "[limits]\napi_per_token = 1000000000\napi_per_ip = 1000000000\n"


def bench_config(folder: Path, domain: str = "bench.test", port: int | None = None,
                 seeded: bool = False) -> config_module.Config:
    path = folder / "node.toml"
    path.write_text(f'[node]\ndomain = "{domain}"\nregistrations = "open"\n'
                    f'{storage_lines(seeded)}[federation]\nenabled = false\n'
                    + NO_RATE_LIMITS
                    + (f"[server]\nport = {port}\n" if port else ""))
    return config_module.load(path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of the process and everything it forked, in MB."""
    rss = pss = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time the process and everything it forked have used: on a shared machine, a figure the other
    users' load does not inflate the way it inflates latencies."""
    ticks = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def node_process(config_path: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """`entativa serve` as its own process, as in production: the load generator then does not share the
    node's CPU and interpreter. Yields once the node answers."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "--config", str(config_path), "serve", cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(400):  # bounded: 20 s at most
                try:
                    async with session.get(f"http://127.0.0.1:{port}/api/v1/instance") as response:
                        await response.read()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the node did not start")
        yield process
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def served_node(folder: Path | None = None, *, seeded: bool = False,
                      config: config_module.Config | None = None) -> AsyncIterator[tuple[Node, TestServer]]:
    """A node with its own database (SQLite; a fresh PostgreSQL one on that pass unless `seeded`: the
    benchmark fills SQLite, then moves), served over real HTTP on a loopback port."""
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        config = config or bench_config(folder or Path(tmp), seeded=seeded)
        app: web.Application = build_app(config, scheduler=False, freeze_heap=True)  # as `serve` does
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield app[NODE], server
        finally:
            await server.close()
            gc.unfreeze()  # the next benchmark's node must not keep this one's objects frozen
