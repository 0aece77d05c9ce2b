"""Resident memory of an idle node: a real `entativa serve` process with the shipped node.toml (plugins as
enabled there), asked once for its instance info, then left alone; the node's own RSS, and the PSS of it
and every process it forked (the search writer) together, read from /proc."""

from __future__ import annotations

import asyncio
import tempfile
import tomllib
from pathlib import Path

import tomli_w
from harness import REPO, Result, free_port, memory_mb, node_process


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="entativa-mem-") as tmp:
        port = free_port()
        shipped = tomllib.loads((REPO / "node.toml").read_text())
        shipped["server"]["port"] = port
        shipped["storage"]["data_dir"] = str(Path(tmp) / "data")
        config_path = Path(tmp) / "node.toml"
        config_path.write_text(tomli_w.dumps(shipped))
        async with node_process(config_path, port) as process:
            await asyncio.sleep(1 if quick else 3)
            rss = _rss_mb(process.pid)
            all_rss, all_pss = memory_mb(process.pid)
    plugins = ", ".join(shipped.get("plugins", {}).get("enabled", [])) or "none"
    return [Result("memory", "idle node RSS", rss, "MB", "< 120", note=f"shipped node.toml, plugins: {plugins}"),
            Result("memory", "idle, all node processes (PSS)", all_pss, "MB", "< 120",
                   note=f"RSS summed {all_rss:.0f} MB")]
