"""Runs the benchmarks in scripts/benchmarks/ (each module has `async def run(quick: bool) -> list[Result]`),
prints one table (each figure beside the previous run's) and the load average, and writes
bench-results/bench.json."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from harness import Result  # noqa: E402

ORDER = ["memory", "timeline", "posting", "concurrency"]  # the rest follow in name order


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


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
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
    for name in chosen:
        print(f"running {name}{' (quick)' if quick else ''} ...", flush=True)
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        made = asyncio.run(importlib.import_module(name).run(quick))
        loads[name] = [load_before, os.getloadavg()[0]]
        load_of.update({id(r): load_before for r in made})
        results.extend(made)
        print(f"  done in {time.perf_counter() - started:.1f} s, load average {loads[name][0]:.1f} -> "
              f"{loads[name][1]:.1f}", flush=True)
    print()
    print(table(results, previous))
    print("\nload average (1 min) before -> after each benchmark: "
          + ", ".join(f"{name} {a:.1f} -> {b:.1f}" for name, (a, b) in loads.items()))
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()},
              "quick": quick, "load_average": loads, "results": [r.as_dict() for r in results]}
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    previous.update({f"{r.benchmark}/{r.metric}": {"value": r.value, "at": at, "load": load_of[id(r)]}
                     for r in results})
    history["quick" if quick else "full"] = previous
    history_path.write_text(json.dumps(history, indent=2))
    print(f"\nwritten to {out / 'bench.json'} (previous figures in {history_path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
