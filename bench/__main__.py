"""Run the benchmarks: `python -m bench [NAME ...] [--quick | --full] [--repeats N]` (no names: all of them).

--quick   small sizes, few repeats: a check that the benchmarks still run (minutes, not the real figures)
--full    the largest sizes too (the 1M-track refresh); run it when the machine is quiet (06:00-06:30 UTC)
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import RESULTS_DIR, Options, write_result
from bench.readme_table import refresh_readme

# Run order: training before refresh and scoring, which then score with its model (else they train a quick one).
BENCHMARKS = [
    "load", "training", "refresh", "scoring", "scale", "dashboard", "morning", "search", "playlist", "demo",
]  # fmt: skip


def available() -> list[str]:
    """The benchmarks whose module exists and can be imported on this branch."""
    names = []
    for name in BENCHMARKS:
        try:
            importlib.import_module(f"bench.bench_{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bench.bench_{name}":
                raise
            continue
        names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    size.add_argument("--full", action="store_true", help="include the largest sizes")
    parser.add_argument("--repeats", type=int, default=None, help="rounds of alternated runs (default per bench)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=f"output folder (default {RESULTS_DIR})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown or unavailable benchmark(s): {', '.join(unknown)}; available: {available()}")
    options = Options(quick=args.quick, full=args.full, repeats=args.repeats)
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        started = datetime.now(UTC)
        print(f"== {name} ({started:%H:%M:%S} UTC)", flush=True)
        report = module.run(options)
        path = write_result(name, report, started=started, options=options, results_dir=args.results)
        print(f"   -> {path}", flush=True)
    if args.results == RESULTS_DIR and refresh_readme():
        print("   -> README.md speed table regenerated from bench/results", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
