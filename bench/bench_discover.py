"""The discover stage alone at a refresh size: `jobs.discover.run_discover` on the bench world (the demo market,
8 + 8 days loaded as `bench.bench_refresh` loads them), timed whole (wall and this process's CPU, which leaves
out PostgreSQL's share) and by part, with similar tracks computed and, in alternated runs, reused (as when a
kept publication has the same sound inputs: the copy of its rows then happens in the publish stage).

    python -m bench.bench_discover [--artists 20900] [--runs 3]
    PYTHONPATH=/work/main python bench/bench_discover.py      # the same on another checkout (main)

Not part of `python -m bench`: a profiling aid for the discover stage (issue 12). Run it on main and on a
branch back to back and compare the medians; absolute seconds on the shared machine are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.harness import throwaway_engine
from bench.world import DAY, load_scoring_history
from jobs import discover, discover_segments, discover_sound
from jobs.sources.demo import DemoSource

PARTS = {
    discover: ["read_tracks", "read_artists", "read_credits", "read_similar", "discover_sound", "discover_segments"],
    discover_sound: ["micro_genres", "fit_popularity", "nearest_tracks"],
    discover_segments: [
        "fit_segment_model",
        "reachable_adjacency",
        "adjacency",
        "partner_map",
        "featured_credits",
    ],  # fmt: skip
}


class _EveryKey(dict[str, int]):
    """Stands in for `read_similar_sources` when every key is reusable (publication 1)."""

    def get(self, key: str, default: Any = None) -> int:  # type: ignore[override]
        return 1


def _every_key(*, conn: Any) -> dict[str, int]:
    return _EveryKey(x=1)


def _timed(parts: dict[str, float]) -> None:
    for module, names in PARTS.items():
        for name in (n for n in names if hasattr(module, n)):  # main before this branch lacks some
            function: Callable[..., Any] = getattr(module, name)

            def wrapper(*args: Any, _f: Callable[..., Any] = function, _n: str = name, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return _f(*args, **kwargs)
                finally:
                    parts[_n] += time.perf_counter() - started

            setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artists", type=int, default=20_900)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    parts: dict[str, float] = defaultdict(float)
    _timed(parts)
    computed = getattr(discover, "read_similar_sources", None)
    results: dict[str, list[dict[str, float]]] = {"computed": [], "reused": []} if computed else {"computed": []}
    with throwaway_engine() as engine:
        load_scoring_history(engine, DemoSource(n_artists=args.artists), 8)
        for _ in range(args.runs):
            for label in results:
                reuse = label == "reused"
                discover.read_similar_sources = _every_key if reuse else computed  # type: ignore[assignment]
                parts.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                with engine.connect() as conn:
                    found = discover.run_discover(
                        conn=conn, snapshot_date=DAY, hit_metric="spotify_popularity", hit_threshold=70.0,
                        config=discover.DiscoverConfig(),
                    )  # fmt: skip
                results[label].append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, **parts})
    print(f"{found.summary['n_tracks']:,} tracks, medians of {args.runs} alternated runs (seconds):")
    for label, runs in results.items():
        medians = {key: statistics.median(run.get(key, 0.0) for run in runs) for key in runs[0]}
        print(f"  {label}: " + ", ".join(f"{key} {value:.2f}" for key, value in medians.items()))


if __name__ == "__main__":
    main()
