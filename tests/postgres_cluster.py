"""A throwaway PostgreSQL cluster for the test suite: `python tests/postgres_cluster.py CMD...` runs CMD with
ENTATIVA_TEST_POSTGRES set to the cluster's URL, then stops the cluster and removes it.

The cluster lives in a temp dir (data and unix socket), listens on a free loopback port and trusts local
connections. Durability is switched off (fsync, synchronous_commit, full_page_writes): a test cluster that
crashes is thrown away anyway, and each test creates and drops databases, which is mostly fsync otherwise.
PostgreSQL refuses to run as root, so as root (CI) the cluster runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = "ENTATIVA_TEST_POSTGRES"
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "listen_addresses": "127.0.0.1",
}


def bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        sys.exit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    return versions[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start(root: Path) -> tuple[str, Path]:
    """Initialise and start a cluster under `root`; returns its URL and data dir."""
    bins = bin_dir()
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(
        as_owner(
            [
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                "entativa",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
    options += f" -p {port} -k {root}"
    subprocess.run(
        as_owner(
            [str(bins / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return f"postgres://entativa@127.0.0.1:{port}/postgres", data


def stop(data: Path) -> None:
    subprocess.run(
        as_owner([str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
        stdout=subprocess.DEVNULL,
        check=False,
    )


def main(command: list[str]) -> int:
    root = Path(tempfile.mkdtemp(prefix="entativa-pg-"))
    try:
        url, data = start(root)
        try:
            began = time.monotonic()
            code = subprocess.call(command, env={**os.environ, ENV: url})
            print(f"PostgreSQL run took {time.monotonic() - began:.0f}s", file=sys.stderr)
            return code
        finally:
            stop(data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
