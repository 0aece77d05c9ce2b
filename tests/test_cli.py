"""The `entativa` command as a person runs it: a subprocess per command, real files, readable errors."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import postgres_databases
import pytest
from test_federation_processes import wait_up

# The PostgreSQL run skips what would only repeat the SQLite run: these tests make their own.
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason='SQLite nodes of its own (tests/test_postgres_move.py runs the CLI on PostgreSQL)')

REPO = Path(__file__).resolve().parents[1]


def entativa(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node", "--config", str(config), *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def write(folder: Path, text: str) -> Path:
    path = folder / "node.toml"
    path.write_text(text)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_init_is_idempotent_and_user_add_makes_an_admin(tmp_path):
    config = write(tmp_path, '[node]\ndomain = "cli.test"\n')
    first = entativa(config, "init")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "node.sqlite3").exists() and (tmp_path / "data" / "instance-key.pem").exists()
    key = (tmp_path / "data" / "instance-key.pem").read_text()
    added = entativa(config, "user", "add", "ada", "--admin", "--password-stdin", stdin="a long passphrase\n")
    assert added.returncode == 0, added.stderr
    assert "Created admin @ada" in added.stdout
    again = entativa(config, "init")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "data" / "instance-key.pem").read_text() == key  # kept, not regenerated
    db = sqlite3.connect(tmp_path / "data" / "node.sqlite3")
    assert db.execute("SELECT u.admin, a.username FROM users u JOIN accounts a ON a.id = u.account_id").fetchall() \
        == [(1, "ada")]


def test_user_add_explains_what_is_wrong(tmp_path):
    config = write(tmp_path, '[node]\ndomain = "cli.test"\n')
    assert entativa(config, "user", "add", "bo", "--password-stdin", stdin="a long passphrase\n").returncode == 0
    taken = entativa(config, "user", "add", "bo", "--password-stdin", stdin="another passphrase\n")
    assert taken.returncode == 2 and "taken" in taken.stderr and "Traceback" not in taken.stderr
    short = entativa(config, "user", "add", "cy", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    generated = entativa(config, "user", "add", "di")  # no terminal, no --password-stdin: a password is made
    assert generated.returncode == 0 and "Password: " in generated.stdout


@pytest.mark.parametrize(("toml", "message"), [
    ('[node]\ntheme = "blue"\n', 'node.theme: must be one of "vignette", "socialink", got "blue"'),
    ("[server]\nport = 70000\n", "server.port: must be between 1 and 65535, got 70000"),
    ('[node]\nregistrations = "maybe"\n', "node.registrations: must be one of"),
    ("[node]\ncolour = 1\n", "node.colour: unknown key"),
    ("[federation]\nenabled = 1\n", "federation.enabled: must be true or false"),
    ("[nodes]\n", "[nodes]: unknown section"),
    ("[node\n", "not valid TOML"),
])
def test_bad_config_stops_with_the_key_and_what_is_allowed(tmp_path, toml, message):
    config = write(tmp_path, toml)
    for command in ("check", "serve", "init"):
        result = entativa(config, command)
        assert result.returncode == 2
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started


def test_check_prints_what_would_run(tmp_path):
    result = entativa(write(tmp_path, '[node]\ndomain = "cli.test"\nscheme = "https"\n'), "check")
    assert result.returncode == 0
    assert "https://cli.test" in result.stdout and "config OK" in result.stdout


async def test_backup_while_serving_and_writing_is_consistent(tmp_path):
    port = free_port()
    config = write(tmp_path, f'[node]\ndomain = "127.0.0.1:{port}"\nregistrations = "open"\n'
                             f'[server]\nport = {port}\n[federation]\nenabled = false\n')
    assert entativa(config, "user", "add", "eve", "--password-stdin", stdin="a long passphrase\n").returncode == 0
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "node", "--config", str(config), "serve",
                                                  cwd=REPO, stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_up(http, base, time.monotonic() + 60)  # start-up takes seconds on a loaded machine
            app = await (await http.post(f"{base}/api/v1/apps", data={
                "client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"})).json()
            token = (await (await http.post(f"{base}/oauth/token", data={
                "grant_type": "password", "username": "eve", "password": "a long passphrase",
                "client_id": app["client_id"], "client_secret": app["client_secret"],
                "scope": "read write"})).json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}

            async def keep_posting() -> int:
                posted = 0
                for n in range(60):
                    async with http.post(f"{base}/api/v1/statuses", json={"status": f"during backup {n}"},
                                         headers=headers) as response:
                        posted += response.status == 200
                return posted

            blob = tmp_path / "data" / "plugins" / "e2ee" / "attachments" / ("b" * 32)
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(b"ciphertext")  # what the e2ee plugin keeps beside the database
            writer = asyncio.create_task(keep_posting())
            await asyncio.sleep(0.05)
            backup = await asyncio.to_thread(entativa, config, "backup", str(tmp_path / "backup"))
            posted = await writer
    finally:
        server.terminate()
        await server.wait()
    assert backup.returncode == 0, backup.stderr
    copy = sqlite3.connect(tmp_path / "backup" / "node.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    saved = copy.execute("SELECT count(*) FROM statuses").fetchone()[0]
    counted = copy.execute("SELECT statuses_count FROM accounts WHERE username = 'eve'").fetchone()[0]
    assert 0 <= saved <= posted == 60
    assert counted == saved  # one consistent moment: the counter matches the rows it counts
    assert (tmp_path / "backup" / "instance-key.pem").exists()
    assert (tmp_path / "backup" / "plugins" / "e2ee" / "attachments" / ("b" * 32)).read_bytes() == b"ciphertext"
    refused = entativa(config, "backup", str(tmp_path / "backup"))
    assert refused.returncode == 2 and "not empty" in refused.stderr
