"""Schemathesis over /api/openapi.json against a real `entativa serve` process with a fresh data dir and a
token: every documented operation gets generated requests (fixed seed, a few examples each), and the run
fails on any 5xx or any response the document does not describe (status, content type, body schema,
headers). The node runs with ENTATIVA_STRICT_PARAMS=1, so a handler that reads a parameter its @endpoint
declaration does not list answers a 500 here too. Afterwards the node's log must hold no traceback.

Streaming endpoints are left out of the run only: they hold the connection open by design (they are still
documented and the declaration test covers them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import tomli_w
from test_federation_processes import PASSWORD, REPO, free_port, wait_up

SEED = 20261202
EXAMPLES = 3  # per operation and phase: ~275 operations stay within about two minutes on two cores
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance")
SCOPES = "read write follow push crypto admin:read admin:write"
LEFT_OUT = r"^/api/v1/(streaming|crypto/stream)"  # hold the connection open by design


def _prepare(folder: Path, port: int) -> Path:
    config = folder / "node.toml"
    config.write_text(tomli_w.dumps({
        "node": {"domain": f"127.0.0.1:{port}", "scheme": "http", "registrations": "open"},
        "server": {"host": "127.0.0.1", "port": port},
        "storage": {"data_dir": "data"},
        "federation": {"enabled": True, "allow_private_addresses": True},
        "plugins": {"enabled": ["e2ee"]},
        # The fuzzer is one client sending thousands of requests: the limits would only turn them into 429s.
        "limits": {"api_per_token": 1_000_000, "api_per_ip": 1_000_000},
    }))
    run = [sys.executable, "-m", "node", "--config", str(config)]
    subprocess.run([*run, "init"], check=True, cwd=REPO, capture_output=True, timeout=180)
    subprocess.run([*run, "user", "add", "fuzzer", "--admin", "--password-stdin"], input=PASSWORD + "\n",
                   text=True, check=True, cwd=REPO, capture_output=True, timeout=180)
    return config


async def _token(session: aiohttp.ClientSession, base: str) -> str:
    """An admin's token with every scope, so the admin, push and crypto routes are reached too."""
    async with session.post(f"{base}/api/v1/apps", json={"client_name": "fuzz", "scopes": SCOPES,
                                                         "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}) as answer:
        app = await answer.json()
    async with session.post(f"{base}/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": "fuzzer", "password": PASSWORD, "scope": SCOPES}) as answer:
        body = await answer.json()
        assert answer.status == 200, body
        return body["access_token"]


def _tracebacks(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("Traceback")]


async def test_schemathesis_finds_no_5xx_and_no_response_off_the_document(tmp_path):
    port = free_port()
    config = _prepare(tmp_path, port)
    log_path = tmp_path / "node.log"
    env = {**os.environ, "ENTATIVA_STRICT_PARAMS": "1"}
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "node", "--config", str(config), "serve"], cwd=REPO,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, base, time.monotonic() + 60)
            bearer = await _token(session, base)
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, str(REPO / "tests" / "fuzz_runner.py"), "run", f"{base}/api/openapi.json", "--url", base,
             "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(EXAMPLES),
             "--no-shrink", "--workers", "2", "--request-timeout", "10",
             "--phases", "examples,coverage,fuzzing", "--exclude-path-regex", LEFT_OUT, "--no-color",
             "-H", f"Authorization: Bearer {bearer}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=540)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = run.stdout + run.stderr
    found = re.search(r"(\d+) generated", output)
    requests = int(found.group(1)) if found else 0  # one request per generated test case
    print(f"schemathesis: {requests} requests in {elapsed:.0f} s")
    assert run.returncode == 0, output[-12_000:]
    assert requests > 1000, output[-4000:]
    node_log = log_path.read_text(errors="replace")
    assert not _tracebacks(node_log), node_log[-8000:]

