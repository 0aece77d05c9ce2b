"""The transactional outbox under kill -9: alice posts in bursts on one `entativa serve` process while bob
follows her from a second one; the poster is killed with SIGKILL at random moments and restarted. After the
last restart every post alice's node committed (every acknowledged one among them) reaches bob's node
exactly once.

Between the nodes sits a transparent relay in this test (bob's node is configured with the relay's port as
its domain), which counts every activity POSTed to bob's inboxes: so the test also sees what was sent twice
on the wire (possible only for a delivery in flight when the poster died: the peer answered, the poster
could not record it; receivers dedupe by activity id).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import postgres_databases
import pytest
import tomli_w
from aiohttp import web
from test_federation_processes import PASSWORD, REPO, free_port, token, wait_up

# The PostgreSQL run skips what would only repeat the SQLite run: these tests make their own.
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason="reads SQLite files: SQLite's durability")

KILLS = 3
CLIENTS = 6
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _prepare(folder: Path, domain_port: int, listen_port: int, user: str) -> Path:
    folder.mkdir()
    config = folder / "node.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "node": {"domain": f"127.0.0.1:{domain_port}", "scheme": "http", "registrations": "open"},
                "server": {"host": "127.0.0.1", "port": listen_port},
                "storage": {"data_dir": "data"},
                "federation": {"enabled": True, "allow_private_addresses": True},
            }
        )
    )
    run = [sys.executable, "-m", "node", "--config", str(config)]
    subprocess.run([*run, "init"], check=True, cwd=REPO, env=ENV, capture_output=True, timeout=180)
    subprocess.run(
        [*run, "user", "add", user, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=REPO,
        env=ENV,
        capture_output=True,
        timeout=180,
    )
    return config


def _serve(config: Path, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "node", "--config", str(config), "serve"],
            cwd=REPO,
            env=ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Relay:
    """Forwards every request to bob's node unchanged (Host included, so signatures verify) and counts the
    activities delivered to its inboxes."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.received: Counter[str] = Counter()
        self.session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        try:
            answer = await self.session.request(
                request.method,
                self.target + request.path_qs,
                headers=headers,
                data=body,
                allow_redirects=False,
            )
        except aiohttp.ClientError:  # bob's node is not listening yet
            return web.Response(status=502)
        async with answer:
            payload = await answer.read()
            if request.method == "POST" and request.path.endswith("/inbox") and answer.status < 300:
                activity = json.loads(body)
                if activity.get("type") == "Create":
                    self.received[activity["id"]] += 1
            drop = ("content-length", "transfer-encoding", "content-encoding", "connection")
            return web.Response(
                status=answer.status,
                body=payload,
                headers={k: v for k, v in answer.headers.items() if k.lower() not in drop},
            )


def _rows(database: Path, sql: str, *args: object) -> list[tuple]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


async def _burst(
    session: aiohttp.ClientSession,
    base: str,
    auth: dict,
    acknowledged: list[str],
    serial: list[int],
    enough: asyncio.Event,
    kill_after: int,
) -> None:
    """Post until the node goes away; every 200 is an acknowledged post."""
    while True:
        serial[0] += 1
        text = f"crash-test post {serial[0]}"
        try:
            async with session.post(
                f"{base}/api/v1/statuses", headers=auth, json={"status": text}
            ) as response:
                if response.status == 200:
                    acknowledged.append((await response.json())["uri"])
                    if len(acknowledged) >= kill_after:
                        enough.set()
        except (TimeoutError, aiohttp.ClientError):
            return


async def test_kill_9_during_a_burst_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "9")))
    port_a, port_b, port_relay = free_port(), free_port(), free_port()
    config_a = _prepare(tmp_path / "a", port_a, port_a, "alice")
    config_b = _prepare(tmp_path / "b", port_relay, port_b, "bob")
    db_a, db_b = (tmp_path / n / "data" / "node.sqlite3" for n in ("a", "b"))
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_relay}"
    relay = Relay(f"http://127.0.0.1:{port_b}")
    relay_app = web.Application(client_max_size=64 * 1024 * 1024)
    relay_app.router.add_route("*", "/{tail:.*}", relay.handle)
    runner = web.AppRunner(relay_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port_relay).start()
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    proc_b = _serve(config_b, log_b)
    proc_a = _serve(config_a, log_a)
    acknowledged: list[str] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            relay.session = session
            deadline = time.monotonic() + 90
            await wait_up(session, a, deadline)
            await wait_up(session, b, deadline)
            alice, bob = await token(session, a, "alice"), await token(session, b, "bob")
            auth_a, auth_b = {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}
            async with session.get(
                f"{b}/api/v2/search",
                headers=auth_b,
                params={"q": f"alice@127.0.0.1:{port_a}", "resolve": "true"},
            ) as response:
                found = await response.json()
            async with session.post(
                f"{b}/api/v1/accounts/{found['accounts'][0]['id']}/follow", headers=auth_b
            ) as r:
                assert r.status == 200
            deadline = time.monotonic() + 60
            while (
                await (await session.get(f"{a}/api/v1/accounts/verify_credentials", headers=auth_a)).json()
            )["followers_count"] != 1:
                assert time.monotonic() < deadline, "the follow never arrived"
                await asyncio.sleep(0.2)

            serial = [0]
            for _ in range(KILLS):
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as posting:
                    # A random moment in the burst: after a random number of acknowledged posts, plus a little.
                    enough = asyncio.Event()
                    kill_after = len(acknowledged) + rng.randint(20, 80)
                    bursts = [
                        asyncio.create_task(
                            _burst(posting, a, auth_a, acknowledged, serial, enough, kill_after)
                        )
                        for _ in range(CLIENTS)
                    ]
                    await asyncio.wait_for(enough.wait(), timeout=120)
                    await asyncio.sleep(rng.uniform(0, 0.2))
                    proc_a.send_signal(signal.SIGKILL)
                    proc_a.wait(timeout=30)
                    await asyncio.gather(*bursts)
                proc_a = _serve(config_a, log_a)
                await wait_up(session, a, time.monotonic() + 90)

            committed = {uri for (uri,) in _rows(db_a, "SELECT uri FROM statuses WHERE local = 1")}
            assert set(acknowledged) <= committed, "an acknowledged post is missing on its own node"
            deadline = time.monotonic() + 180
            while True:  # the restarted node replays what the kills interrupted and delivers it
                arrived = Counter(uri for (uri,) in _rows(db_b, "SELECT uri FROM statuses WHERE local = 0"))
                if set(arrived) >= committed or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
    finally:
        for proc in (proc_a, proc_b):
            proc.terminate()
        for proc in (proc_a, proc_b):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await runner.cleanup()

    missing = committed - set(arrived)
    duplicated_statuses = [uri for uri, n in arrived.items() if n > 1]
    resent = sum(n - 1 for n in relay.received.values() if n > 1)
    print(
        f"\nkill test: {KILLS} kills, {len(acknowledged)} posts acknowledged, {len(committed)} committed, "
        f"{len(committed) - len(missing)} delivered, {len(duplicated_statuses)} duplicated at the follower, "
        f"{resent} Create POSTs sent again on the wire"
    )
    assert acknowledged, "no post was acknowledged"
    assert not missing, f"{len(missing)} of {len(committed)} committed posts never reached the follower"
    assert not duplicated_statuses
    assert {activity.removesuffix("/activity") for activity in relay.received} >= committed
    # A resend happens only for a delivery answered at a kill but not yet recorded as delivered (the peer
    # dedupes it): a handful per kill, never the whole backlog (measured: 5 to 20 over 3 kills).
    assert resent <= KILLS * 16, resent
    for log in (log_a, log_b):
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-4000:]
