"""Similar tracks at scale: brute force against a KD tree and a ball tree on the standardised sound, one run each.

    python -m bench.bench_neighbours [--n 114000] [--k 10]

The rows are TidyTuesday's real audio features (/work/shared/data, ~32k tracks) resampled to `--n` with a small
jitter (no 114k file is in the shared data), standardised as `model.sound.standardise` does; without the file,
Gaussian blobs. Prints seconds per method and whether the neighbour distances agree with brute force.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from model.sound import SOUND_FEATURES, standardise

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
    reference = None
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        started = time.perf_counter()
        distance, _ = NearestNeighbors(n_neighbors=args.k + 1, algorithm=algorithm).fit(z).kneighbors(z)
        seconds = time.perf_counter() - started
        reference = distance if reference is None else reference
        same = bool(np.allclose(distance, reference, atol=1e-6))
        print(f"{algorithm:10s} n={args.n} k={args.k}: {seconds:7.1f} s, distances match brute: {same}", flush=True)


if __name__ == "__main__":
    main()
