"""Two `python -m node serve` processes on loopback ports (domain = 127.0.0.1:PORT, scheme http,
allow_private_addresses) federate: bob follows alice by handle, alice posts, bob's home timeline gets it.
This is the set-up docs/operating.md describes for trying federation on one machine."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import postgres_databases
import tomli_w

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(folder: Path, port: int) -> Path:
    folder.mkdir()
    config = folder / "node.toml"
    config.write_text(tomli_w.dumps({
        "node": {"domain": f"127.0.0.1:{port}", "scheme": "http", "registrations": "open"},
        "server": {"host": "127.0.0.1", "port": port},
        # On the PostgreSQL run, each node process gets a database of its own there.
        "storage": {"data_dir": "data", **postgres_databases.storage_section()},
        "federation": {"enabled": True, "allow_private_addresses": True},
    }))
    run = [sys.executable, "-m", "node", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([*run, "init"], check=True, cwd=REPO, env=env, capture_output=True, timeout=120)
    for name in ("alice", "bob"):
        subprocess.run([*run, "user", "add", name, "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       cwd=REPO, env=env, capture_output=True, timeout=120)
    return config


async def token(session: aiohttp.ClientSession, base: str, name: str) -> str:
    async with session.post(f"{base}/api/v1/apps", json={"client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                         "scopes": "read write follow"}) as response:
        app = await response.json()
    async with session.post(f"{base}/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": name, "password": PASSWORD,
            "scope": "read write follow"}) as response:
        body = await response.json()
        assert response.status == 200, body
        return body["access_token"]


async def wait_up(session: aiohttp.ClientSession, base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/api/v1/instance") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{base} did not come up")


async def test_two_serve_processes_federate(tmp_path):
    ports = [free_port(), free_port()]
    configs = [prepare(tmp_path / f"n{i}", port) for i, port in enumerate(ports)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "node", "--config", str(c), "serve"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in configs]
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            await wait_up(session, a, deadline)
            await wait_up(session, b, deadline)
            alice, bob = await token(session, a, "alice"), await token(session, b, "bob")
            auth_a, auth_b = {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}
            async with session.get(f"{b}/api/v2/search", headers=auth_b,
                                   params={"q": f"alice@127.0.0.1:{ports[0]}", "resolve": "true"}) as response:
                found = await response.json()
            assert found["accounts"][0]["acct"] == f"alice@127.0.0.1:{ports[0]}", found
            async with session.post(f"{b}/api/v1/accounts/{found['accounts'][0]['id']}/follow", headers=auth_b) as r:
                assert r.status == 200
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the Follow and its Accept travel through both queues
                async with session.get(f"{a}/api/v1/accounts/verify_credentials", headers=auth_a) as response:
                    if (await response.json())["followers_count"] == 1:
                        break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the follow never arrived")
            async with session.post(f"{a}/api/v1/statuses", headers=auth_a, json={"status": "across processes"}) as r:
                posted = await r.json()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                async with session.get(f"{b}/api/v1/timelines/home", headers=auth_b) as response:
                    home = await response.json()
                if any(s["uri"] == posted["uri"] for s in home):
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the post never arrived")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
