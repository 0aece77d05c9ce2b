"""Schemathesis over /api/openapi.json against a real `entativa serve` process with a fresh data dir and a
token: every documented operation gets generated requests (fixed seed, a few examples each), and the run
fails on any 5xx or any response the document does not describe (status, content type, body schema,
headers). The node runs with ENTATIVA_STRICT_PARAMS=1, so a handler that reads a parameter its @endpoint
declaration does not list answers a 500 here too. Afterwards the node's log must hold no traceback.

Streaming endpoints are left out of the run only: they hold the connection open by design (they are still
documented and the declaration test covers them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import tomli_w
from test_federation_processes import PASSWORD, REPO, free_port, token, wait_up

SEED = 20261202
EXAMPLES = 4  # per operation and phase: ~270 operations stay within about two minutes on two cores
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance")
LEFT_OUT = r"^/api/v1/(streaming|crypto/stream)"  # hold the connection open by design


def _prepare(folder: Path, port: int) -> Path:
    config = folder / "node.toml"
    config.write_text(tomli_w.dumps({
        "node": {"domain": f"127.0.0.1:{port}", "scheme": "http", "registrations": "open"},
        "server": {"host": "127.0.0.1", "port": port},
        "storage": {"data_dir": "data"},
        "federation": {"enabled": True, "allow_private_addresses": True},
        # The fuzzer is one client sending thousands of requests: the limits would only turn them into 429s.
        "limits": {"api_per_token": 1_000_000, "api_per_ip": 1_000_000},
    }))
    run = [sys.executable, "-m", "node", "--config", str(config)]
    subprocess.run([*run, "init"], check=True, cwd=REPO, capture_output=True, timeout=180)
    subprocess.run([*run, "user", "add", "fuzzer", "--admin", "--password-stdin"], input=PASSWORD + "\n",
                   text=True, check=True, cwd=REPO, capture_output=True, timeout=180)
    return config


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
            bearer = await token(session, base, "fuzzer")
        report = tmp_path / "report.json"
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/api/openapi.json", "--url", base,
             "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(EXAMPLES),
             "--generation-deterministic", "--no-shrink", "--workers", "2", "--request-timeout", "10",
             "--phases", "examples,coverage,fuzzing", "--exclude-path-regex", LEFT_OUT, "--no-color",
             "-H", f"Authorization: Bearer {bearer}", "--report", "ndjson", "--report-ndjson-path", str(report)],
            cwd=tmp_path, capture_output=True, text=True, timeout=540)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = run.stdout + run.stderr
    requests = _requests_sent(report)
    print(f"schemathesis: {requests} requests in {elapsed:.0f} s")
    assert run.returncode == 0, output[-12_000:]
    assert requests > 1000, output[-4000:]
    node_log = log_path.read_text(errors="replace")
    assert not _tracebacks(node_log), node_log[-8000:]


def _requests_sent(report: Path) -> int:
    """Interactions recorded in schemathesis' event stream (one per request it sent)."""
    count = 0
    if not report.exists():
        return 0
    for line in report.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        count += line.count('"response":')  if isinstance(event, dict) else 0
    return count
