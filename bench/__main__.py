"""Run the benchmarks and merge their figures into ``bench/results/latest.json``.

    python -m bench                 # every bench/bench_*.py
    python -m bench demo screening  # only these (bench_demo.py, bench_screening.py)
    python -m bench --quick         # smaller sizes, for a smoke run

Each module exposes ``run(quick: bool = False) -> dict[str, float]``. Figures of modules not run
this time are kept, so one slow benchmark need not be rerun to refresh another.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "latest.json"
# Measure the code beside these benchmarks, not whichever storeguard the venv has installed.
_SRC = BENCH_DIR.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

META_KEYS = ("machine", "date")


def discover(bench_dir: Path = BENCH_DIR) -> list[str]:
    """Return the names of the benchmark modules (``demo`` for bench_demo.py), sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in bench_dir.glob("bench_*.py"))


def select_modules(available: list[str], wanted: list[str]) -> list[str]:
    """Return the modules to run: all when none are named; refuse unknown names."""
    if not wanted:
        return available
    names = [w.removeprefix("bench_").removesuffix(".py") for w in wanted]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
    return list(dict.fromkeys(names))


def machine() -> str:
    """Describe the machine the figures come from."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def merge(previous: dict[str, Any], figures: dict[str, float], *, machine: str, date: str) -> dict[str, Any]:
    """Return one flat object: earlier figures, overwritten by this run's, plus machine and date."""
    merged = {k: v for k, v in previous.items() if k not in META_KEYS}
    merged.update(figures)
    result: dict[str, Any] = dict(sorted(merged.items()))
    result["machine"] = machine
    result["date"] = date
    return result


def read_results(path: Path) -> dict[str, Any]:
    """Return the recorded figures, or nothing when there are none yet (or the file is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write the results atomically, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_modules(
    names: list[str],
    *,
    quick: bool,
    load: Callable[[str], Any] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Run the named benchmark modules and return their figures together."""
    load = load or (lambda name: importlib.import_module(f"bench.bench_{name}"))
    figures: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        result = load(name).run(quick=quick)
        for key, value in result.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise TypeError(f"bench_{name} returned {key}={value!r}; figures are numbers")
            if key in figures or key in META_KEYS:
                raise ValueError(f"bench_{name} repeats the figure name {key!r}")
            figures[key] = value
        log(f"bench_{name}: {len(result)} figure(s) in {time.perf_counter() - started:.1f} s")
        for key, value in sorted(result.items()):
            log(f"  {key} = {value:,.2f}")
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks named on the command line (all by default) and record the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run storeguard's benchmarks.")
    parser.add_argument(
        "modules", nargs="*", help="benchmarks to run (demo for bench_demo.py); all by default"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the figures are merged")
    args = parser.parse_args(argv)
    names = select_modules(discover(), args.modules)
    # Each module's figures are merged as soon as it ends: a later module that fails or is stopped
    # (the full run takes the best part of an hour) loses only its own.
    for name in names:
        figures = run_modules([name], quick=args.quick)
        date = datetime.now(UTC).replace(microsecond=0).isoformat()
        write_results(args.results, merge(read_results(args.results), figures, machine=machine(), date=date))
        print(f"bench_{name}'s figures merged into {args.results}")


if __name__ == "__main__":
    main()
