"""Similar tracks at scale: brute force (exact) against the HNSW graph `model.sound.nearest_tracks` uses above
`EXACT_NEIGHBOURS_MAX` tracks, on the standardised sound, one run each: seconds, the ratio, and the recall of the
exact k nearest. (KD and ball trees were measured before: a KD tree had not finished after 390 s at 114k.)

    python -m bench.bench_neighbours [--n 114000] [--k 10]

The rows are TidyTuesday's real audio features (/work/shared/data, ~32k tracks) resampled to `--n` with a small
jitter (no 114k file is in the shared data), standardised as `model.sound.standardise` does; without the file,
Gaussian blobs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model.sound import SOUND_FEATURES, nearest_tracks, standardise

TIDY = Path("/work/shared/data/tidytuesday-spotify-songs/spotify_songs.csv.gz")


def sound_rows(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if TIDY.exists():
        base = pd.read_csv(TIDY, usecols=SOUND_FEATURES).dropna().to_numpy(dtype=float)
        rows = base[rng.integers(0, len(base), n)]
        return standardise(rows + rng.normal(0, 0.01, rows.shape) * rows.std(axis=0))
    centres = rng.normal(0, 3, (20, len(SOUND_FEATURES)))
    return standardise(centres[rng.integers(0, 20, n)] + rng.normal(0, 1, (n, len(SOUND_FEATURES))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=114_000)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    z = sound_rows(args.n)
    started = time.perf_counter()
    exact, _ = nearest_tracks(z, args.k, exact_max=len(z))
    brute = time.perf_counter() - started
    started = time.perf_counter()
    graph, _ = nearest_tracks(z, args.k, exact_max=0)
    hnsw = time.perf_counter() - started
    recall = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(graph, exact, strict=True)])
    print(
        f"n={args.n} k={args.k}: brute {brute:.1f} s, HNSW {hnsw:.1f} s ({brute / hnsw:.1f}x faster), "
        f"recall@{args.k} {recall:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
