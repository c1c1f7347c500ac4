"""Navbar search at catalogue scale: build the index of ~120,000 artist and track names (what one gunicorn
worker does once per publication, on the first keystroke) and time single searches of prefixes and typos.

    python -m bench search [--quick]        # --quick: 12,000 names

Target (measured, not asserted): a keystroke under 20 ms at the median on 120,000 names.
"""

from __future__ import annotations

import random
import statistics
import string
import time

import pandas as pd

from bench.harness import Options, Report, verdict
from dashboard.search import SearchIndex


def catalogue(n_tracks: int, n_artists: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    rows = [("track", f"t{i}", " ".join(rng.choice(words) for _ in range(rng.randint(1, 4))).title(),
             f"Artist {i % 5000}", "pop", rng.random() * 100) for i in range(n_tracks)]  # fmt: skip
    rows += [("artist", f"a{i}", f"{rng.choice(words)} {rng.choice(words)}".title(), "", "rock", 50.0)
             for i in range(n_artists)]  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "id", "name", "artist_name", "genre", "popularity"])


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 5:
        return text
    at = rng.randrange(2, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def run(options: Options) -> Report:
    report = Report()
    n_tracks, n_artists = (10_000, 2_000) if options.quick else (100_000, 20_000)
    frame = catalogue(n_tracks, n_artists)
    started = time.perf_counter()
    index = SearchIndex(frame)
    build = time.perf_counter() - started
    rng = random.Random(2)
    names = frame["name"].tolist()
    queries = [names[rng.randrange(len(names))][: rng.randint(3, 12)] for _ in range(100)]
    queries += [typo(names[rng.randrange(len(names))], rng) for _ in range(100)]
    times = []
    for query in queries:
        started = time.perf_counter()
        index.search(query)
        times.append((time.perf_counter() - started) * 1000)
    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
    report.figures = {
        "entries": len(frame), "distinct_names": len(index.keys), "build_s": round(build, 2),
        "search_ms_p50": round(p50, 2), "search_ms_p95": round(p95, 2), "queries": len(queries),
    }  # fmt: skip
    report.row("index build (per publication and worker)", f"{build:.2f} s for {len(frame):,} names")
    report.row("search p50", f"{p50:.1f} ms", "20 ms", verdict(p50, 20, higher_is_better=False))
    report.row("search p95", f"{p95:.1f} ms")
    return report
