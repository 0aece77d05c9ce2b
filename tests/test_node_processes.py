"""One node as several processes on one PostgreSQL database: two `entativa serve --shared` web processes
(on two ports here, so the test can pick which one it talks to; production puts them on one port) and one
`entativa worker`, all draining the same queues. A second node (bob's, SQLite) sits behind a relay that
counts every activity POSTed to it.

It proves, with real processes and real HTTP: every delivery alice's node makes is POSTed exactly once
although three processes drain the queue while posts arrive on both web processes; every inbox activity bob
sends is applied exactly once (one status and one mention notification each; one Accept for the Follow);
and a streaming client on process 1 gets the `update` for a status posted on process 2.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import postgres_databases
import pytest
import tomli_w
from aiohttp import web
from test_federation_processes import PASSWORD, REPO, free_port, token, wait_up

needs_postgres = pytest.mark.skipif(not postgres_databases.CLUSTER, reason="several processes need PostgreSQL")

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
POSTS = 40  # alice's, half on each web process
REPLIES = 30  # bob's, each mentioning alice


def _config(folder: Path, domain_port: int, listen_port: int, database: str | None, name: str) -> Path:
    config = folder / name
    config.write_text(tomli_w.dumps({
        "node": {"domain": f"127.0.0.1:{domain_port}", "scheme": "http", "registrations": "open"},
        "server": {"host": "127.0.0.1", "port": listen_port},
        "storage": {"data_dir": "data", **({"database": database} if database else {})},
        "federation": {"enabled": True, "allow_private_addresses": True},
    }))
    return config


def _init(config: Path, user: str) -> None:
    run = [sys.executable, "-m", "node", "--config", str(config)]
    subprocess.run([*run, "init"], check=True, cwd=REPO, env=ENV, capture_output=True, timeout=180)
    subprocess.run([*run, "user", "add", user, "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   cwd=REPO, env=ENV, capture_output=True, timeout=180)


def _start(config: Path, log: Path, *command: str) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "node", "--config", str(config), *command], cwd=REPO,
                                env=ENV, stdout=out, stderr=subprocess.STDOUT)


class Relay:
    """Forwards every request unchanged (Host included, so signatures verify) to its targets in turn (alice's
    two web processes: the reverse proxy), and counts the activities POSTed to inboxes (bob's node: the
    counting peer)."""

    def __init__(self, *targets: str) -> None:
        self.targets = list(targets)
        self.turn = 0
        self.received: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        self.turn += 1
        target = self.targets[self.turn % len(self.targets)]
        try:
            answer = await self.session.request(request.method, target + request.path_qs, headers=headers,
                                                data=body, allow_redirects=False)
        except aiohttp.ClientError:
            return web.Response(status=502)
        async with answer:
            payload = await answer.read()
            if request.method == "POST" and request.path.endswith("/inbox") and answer.status < 300:
                activity = json.loads(body)
                self.received[activity["id"]] += 1
                self.types[activity["type"]] += 1
            drop = ("content-length", "transfer-encoding", "content-encoding", "connection")
            return web.Response(status=answer.status, body=payload,
                                headers={k: v for k, v in answer.headers.items() if k.lower() not in drop})


async def _until(check, what: str, seconds: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


@needs_postgres
async def test_two_web_processes_and_a_worker_do_everything_once(tmp_path):
    port_1, port_2, port_b, port_relay, port_a = free_port(), free_port(), free_port(), free_port(), free_port()
    database = postgres_databases.fresh_database(empty=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    # alice's node is reached at port_a, a proxy spreading requests over its two web processes
    config_1 = _config(tmp_path / "a", port_a, port_1, database, "node.toml")
    config_2 = _config(tmp_path / "a", port_a, port_2, database, "node2.toml")
    config_b = _config(tmp_path / "b", port_relay, port_b, None, "node.toml")
    _init(config_1, "alice")
    _init(config_b, "bob")
    peer = Relay(f"http://127.0.0.1:{port_b}")
    proxy = Relay(f"http://127.0.0.1:{port_1}", f"http://127.0.0.1:{port_2}")
    runners = []
    for relay, port in ((peer, port_relay), (proxy, port_a)):
        relay_app = web.Application(client_max_size=64 * 1024 * 1024)
        relay_app.router.add_route("*", "/{tail:.*}", relay.handle)
        runners.append(runner := web.AppRunner(relay_app, access_log=None))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
    logs = [tmp_path / f"{n}.log" for n in ("web1", "web2", "worker", "bob")]
    procs = [_start(config_1, logs[0], "serve", "--shared"), _start(config_2, logs[1], "serve", "--shared"),
             _start(config_1, logs[2], "worker"), _start(config_b, logs[3], "serve")]
    a1, a2, b = f"http://127.0.0.1:{port_1}", f"http://127.0.0.1:{port_2}", f"http://127.0.0.1:{port_relay}"
    pg = await asyncpg.connect(database)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            peer.session = proxy.session = session
            for base in (a1, a2, b):
                await wait_up(session, base, time.monotonic() + 120)
            alice, bob = await token(session, a1, "alice"), await token(session, b, "bob")
            auth_a, auth_b = {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}

            async def follow(base: str, auth: dict, handle: str) -> None:
                async with session.get(f"{base}/api/v2/search", headers=auth,
                                       params={"q": handle, "resolve": "true"}) as response:
                    found = await response.json()
                async with session.post(f"{base}/api/v1/accounts/{found['accounts'][0]['id']}/follow",
                                        headers=auth) as response:
                    assert response.status == 200, await response.text()

            await follow(b, auth_b, f"alice@127.0.0.1:{port_a}")
            await follow(a2, auth_a, f"bob@127.0.0.1:{port_relay}")

            async def followed() -> bool:
                async with session.get(f"{a1}/api/v1/accounts/verify_credentials", headers=auth_a) as response:
                    me = await response.json()
                return me["followers_count"] == 1 and me["following_count"] == 1

            await _until(followed, "the follows never went through")
            async with session.get(f"{a1}/api/v2/search", headers=auth_a,
                                   params={"q": f"bob@127.0.0.1:{port_relay}", "resolve": "true"}) as response:
                bob_on_a = (await response.json())["accounts"][0]["id"]

            async def bob_follows_back() -> bool:
                async with session.get(f"{a1}/api/v1/accounts/relationships", headers=auth_a,
                                       params={"id[]": bob_on_a}) as response:
                    return (await response.json())[0]["following"]

            await _until(bob_follows_back, "bob's node never accepted alice's follow")

            # A streaming client on process 1 hears a status posted on process 2. It may take a moment
            # after connecting for process 2 to learn someone listens on process 1 (one notification), so
            # the first post is repeated until one arrives; then every later one must arrive.
            async with session.ws_connect(f"{a1.replace('http', 'ws')}/api/v1/streaming?stream=user",
                                          headers=auth_a) as ws:
                deadline = time.monotonic() + 30
                heard = False
                while not heard:
                    assert time.monotonic() < deadline, "no event posted on process 2 reached process 1's stream"
                    async with session.post(f"{a2}/api/v1/statuses", headers=auth_a,
                                            json={"status": "hello from process 2"}) as response:
                        assert response.status == 200
                    try:
                        frame = await ws.receive_json(timeout=1)
                        heard = frame["event"] == "update"
                    except TimeoutError:
                        pass
                async with session.post(f"{a2}/api/v1/statuses", headers=auth_a,
                                        json={"status": "a long one " + "é" * 4900}) as response:
                    posted = await response.json()
                    assert response.status == 200, posted
                while True:  # a payload over NOTIFY's 8000 bytes comes in pieces and is put back together
                    frame = await ws.receive_json(timeout=15)
                    if frame["event"] == "update" and json.loads(frame["payload"])["id"] == posted["id"]:
                        break
                assert "é" * 4900 in json.loads(frame["payload"])["content"]

            # Deliveries: posts arrive on both web processes at once; three processes drain the queue.
            async def post(base: str, n: int) -> str:
                async with session.post(f"{base}/api/v1/statuses", headers=auth_a,
                                        json={"status": f"burst {n}"}) as response:
                    assert response.status == 200
                    return (await response.json())["uri"]

            uris = await asyncio.gather(*(post(a1 if n % 2 else a2, n) for n in range(POSTS)))

            # Inbox: bob's replies come in while alice's processes are busy.
            async def reply(n: int) -> None:
                async with session.post(f"{b}/api/v1/statuses", headers=auth_b,
                                        json={"status": f"@alice@127.0.0.1:{port_a} reply {n}"}) as response:
                    assert response.status == 200

            await asyncio.gather(*(reply(n) for n in range(REPLIES)))

            async def all_arrived() -> bool:
                applied = await pg.fetchval("SELECT count(*) FROM inbox_activities WHERE state <> 'done'")
                return {f"{u}/activity" for u in uris} <= set(peer.received) and applied == 0 and \
                    await pg.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%reply %'") >= REPLIES

            await _until(all_arrived, "not every delivery or inbox activity was done", 180)

        duplicated = {activity: n for activity, n in peer.received.items() if n > 1}
        assert not duplicated, f"POSTed more than once: {duplicated}"
        assert peer.types["Accept"] == 1, peer.types  # bob's one Follow was applied once
        assert await pg.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%reply %'") == REPLIES
        mentions = await pg.fetchval("SELECT count(*) FROM notifications WHERE type = 'mention'")
        assert mentions == REPLIES, mentions
        failed = await pg.fetchval("SELECT count(*) FROM deliveries WHERE state <> 'delivered'")
        assert failed == 0
        applied = Counter(dict(await pg.fetch("SELECT attempts, count(*) FROM inbox_activities GROUP BY attempts")))
        assert set(applied) == {1}, f"inbox activities by times applied: {applied}"
        assert applied[1] >= REPLIES + 2  # the replies, the Follow and the Accept at least
    finally:
        await pg.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for runner in runners:
            await runner.cleanup()
    for log in logs:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-4000:]
    assert "runs the scheduler" in "".join(log.read_text() for log in logs[:3])


def test_a_sqlite_node_refuses_several_processes(tmp_path):
    config = _config(tmp_path, 8080, free_port(), None, "node.toml")
    for command in (["serve", "--workers", "2"], ["worker"]):
        result = subprocess.run([sys.executable, "-m", "node", "--config", str(config), *command], cwd=REPO,
                                env=ENV, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert "needs PostgreSQL: a SQLite node runs as one process" in result.stderr


@needs_postgres
async def test_the_scheduler_moves_to_another_process_when_its_holder_goes(tmp_path):
    from types import SimpleNamespace

    from node.processes import Election

    class Recording(Election):
        def elected(self) -> None:
            won.append(self)

    won: list[Election] = []
    node = SimpleNamespace(config=SimpleNamespace(database_url=postgres_databases.fresh_database(empty=True)))
    first, second = Recording(node), Recording(node)  # type: ignore[arg-type]
    try:
        assert await first.try_once()
        assert not await second.try_once()  # one scheduler while the first holds the lock
        await first.close()  # its process died: the session, and the lock with it, are gone
        assert await second.try_once()
        assert won == [first, second]
    finally:
        await first.close()
        await second.close()


def test_ids_of_processes_in_different_slots_never_meet():
    from node.models import base

    made: dict[int, set[int]] = {}
    try:
        for slot in (0, 1):
            base.use_process_slot(slot)
            made[slot] = {base.snowflake() for _ in range(5000)}  # several milliseconds' worth, sequences wrap
    finally:
        base.use_process_slot(None)
    assert len(made[0]) == len(made[1]) == 5000
    assert not made[0] & made[1]
    assert all((i >> base.SEQUENCE_BITS) & (2**base.SLOT_BITS - 1) == 1 for i in made[1])
