"""Resident memory of an idle node: a real `entativa serve` process with the shipped node.toml (plugins as
enabled there), asked once for its instance info, then left alone; VmRSS read from /proc."""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
import tomllib
from pathlib import Path

import aiohttp
import tomli_w
from harness import Result

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="entativa-mem-") as tmp:
        port = _free_port()
        shipped = tomllib.loads((REPO / "node.toml").read_text())
        shipped["server"]["port"] = port
        shipped["storage"]["data_dir"] = str(Path(tmp) / "data")
        config_path = Path(tmp) / "node.toml"
        config_path.write_text(tomli_w.dumps(shipped))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "node", "--config", str(config_path), "serve", cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(200):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/api/v1/instance") as response:
                            await response.read()
                            break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.05)
            await asyncio.sleep(1 if quick else 3)
            rss = _rss_mb(process.pid)
        finally:
            process.terminate()
            await process.wait()
    plugins = ", ".join(shipped.get("plugins", {}).get("enabled", [])) or "none"
    return [Result("memory", "idle node RSS", rss, "MB", "< 120", note=f"shipped node.toml, plugins: {plugins}")]
