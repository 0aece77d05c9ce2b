"""Runs the benchmarks in scripts/benchmarks/ (each module has `async def run(quick: bool) -> list[Result]`),
prints one table and writes bench-results/bench.json."""

from __future__ import annotations

import asyncio
import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from harness import Result  # noqa: E402

ORDER = ["memory", "timeline", "posting"]  # the rest follow in name order


def available() -> list[str]:
    names = [p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "harness") and not p.stem.startswith("_")]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def table(results: list[Result]) -> str:
    rows = [("benchmark", "metric", "value", "unit", "target", "met")]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        rows.append((r.benchmark, r.metric, f"{r.value:,.2f}", r.unit, r.target, met))
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
    results: list[Result] = []
    for name in chosen:
        print(f"running {name}{' (quick)' if quick else ''} ...", flush=True)
        started = time.perf_counter()
        results.extend(asyncio.run(importlib.import_module(name).run(quick)))
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print(table(results))
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    report = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                          "platform": platform.platform()},
              "quick": quick, "results": [r.as_dict() for r in results]}
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
