"""Runs the benchmarks in scripts/benchmarks/ (each module has `async def run(quick: bool) -> list[Result]`),
prints one table (each figure beside the previous run's) and the load average, and writes
bench-results/bench.json.

`--postgres` runs each chosen benchmark twice in one run, on SQLite and then on a throwaway PostgreSQL
cluster (durable as SQLite's WAL mode with synchronous=NORMAL: fsync on, commits not waited for), and prints
the figures side by side, with the CPU time each pass took in this process and in the database server."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from harness import POSTGRES_ENV, Result, cpu_seconds  # noqa: E402

from node.lifecycle import event_loop  # noqa: E402

ORDER = ["memory", "timeline", "posting", "concurrency"]  # the rest follow in name order


def run_in_process(name: str, quick: bool) -> list[Result]:
    """One benchmark in this process, on the event loop `entativa serve` runs on (uvloop where it installs):
    in-process figures are then the serving node's, not asyncio's slower pure-Python loop's."""
    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(importlib.import_module(name).run(quick))


def available() -> list[str]:
    names = [p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "harness") and not p.stem.startswith("_")]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def table(results: list[Result], previous: dict[str, dict]) -> str:
    rows = [("benchmark", "metric", "value", "previous", "unit", "target", "met")]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        before = previous.get(f"{r.benchmark}/{r.metric}")
        rows.append((r.benchmark, r.metric, f"{r.value:,.2f}", f"{before['value']:,.2f}" if before else "", r.unit,
                     r.target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def side_by_side(results: list[Result]) -> str:
    values: dict[tuple[str, str], dict[str, str]] = {}
    units: dict[tuple[str, str], str] = {}
    for r in results:
        backend = "postgres" if r.note.startswith("[postgres]") else "sqlite"
        values.setdefault((r.benchmark, r.metric), {})[backend] = f"{r.value:,.2f}"
        units[(r.benchmark, r.metric)] = r.unit
    rows = [("benchmark", "metric", "sqlite", "postgres", "unit")]
    rows += [(b, m, v.get("sqlite", ""), v.get("postgres", ""), units[(b, m)]) for (b, m), v in values.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _server_cpu(data: Path) -> float:
    """CPU seconds of the PostgreSQL server: its live processes, and the connections that already ended
    (counted in the postmaster's children's time once it reaped them)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return cpu_seconds(postmaster) + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def run_pass(name: str, quick: bool, backend: str, data: Path | None) -> list[Result]:
    """One benchmark on one backend, with the CPU time it cost (this process, its children, the server)."""
    before = os.times()
    server_before = _server_cpu(data) if data is not None else 0.0
    made = run_in_process(name, quick)
    after = os.times()
    used = (after.user + after.system) - (before.user + before.system)
    note = f"{used:.1f} s CPU in the benchmark process"
    extra = []
    if data is not None:
        server = _server_cpu(data) - server_before
        extra.append(Result(name, "CPU time of the database server", server, "s"))
    extra.append(Result(name, "CPU time of the benchmark process (node in-process, client)", used, "s", note=note))
    made += extra
    if backend == "postgres":
        for r in made:
            r.note = f"[postgres] {r.note}".strip()
    return made


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    on_postgres = "--postgres" in argv
    chosen = [a for a in argv if not a.startswith("--")] or available()
    unknown = set(chosen) - set(available())
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available())}")
        return 2
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    # The last figure of every metric, full and quick runs apart, kept across runs of any subset, so each
    # new figure is printed beside the one before it.
    history_path = out / "previous.json"
    history = json.loads(history_path.read_text()) if history_path.exists() else {}
    previous = history.get("quick" if quick else "full", {})
    results: list[Result] = []
    loads: dict[str, list[float]] = {}
    load_of: dict[int, float] = {}
    cluster = None
    if on_postgres:
        sys.path.insert(0, str(REPO / "tests"))
        import postgres_cluster

        # a benchmark cluster keeps fsync and full-page writes (the test cluster turns them off)
        postgres_cluster.SETTINGS.update(fsync="on", full_page_writes="on", synchronous_commit="off")
        root = Path(tempfile.mkdtemp(prefix="entativa-bench-pg-"))
        url, data = postgres_cluster.start(root)
        cluster = (root, data)
    try:
        for name in chosen:
            for backend in (["sqlite", "postgres"] if on_postgres else ["sqlite"]):
                label = f" on {backend}" if on_postgres else ""
                print(f"running {name}{label}{' (quick)' if quick else ''} ...", flush=True)
                if backend == "postgres":
                    os.environ[POSTGRES_ENV] = url
                started, load_before = time.perf_counter(), os.getloadavg()[0]
                try:
                    made = run_pass(name, quick, backend, cluster[1] if backend == "postgres" else None) \
                        if on_postgres else run_in_process(name, quick)
                finally:
                    os.environ.pop(POSTGRES_ENV, None)
                key = f"{name}{label}"
                loads[key] = [load_before, os.getloadavg()[0]]
                load_of.update({id(r): load_before for r in made})
                results.extend(made)
                print(f"  done in {time.perf_counter() - started:.1f} s, load average {loads[key][0]:.1f} -> "
                      f"{loads[key][1]:.1f}", flush=True)
    finally:
        if cluster is not None:
            postgres_cluster.stop(cluster[1])
            shutil.rmtree(cluster[0], ignore_errors=True)
    print()
    print(side_by_side(results) if on_postgres else table(results, previous))
    print("\nload average (1 min) before -> after each benchmark: "
          + ", ".join(f"{name} {a:.1f} -> {b:.1f}" for name, (a, b) in loads.items()))
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()},
              "quick": quick, "load_average": loads, "results": [r.as_dict() for r in results]}
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    previous.update({f"{r.benchmark}/{r.metric}": {"value": r.value, "at": at, "load": load_of[id(r)]}
                     for r in results})
    if not on_postgres:  # the history compares like with like: SQLite runs only
        history["quick" if quick else "full"] = previous
        history_path.write_text(json.dumps(history, indent=2))
    print(f"\nwritten to {out / 'bench.json'} (previous figures in {history_path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
