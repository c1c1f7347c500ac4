"""How the score stage's cost grows with the market, and a projection to 10M and 100M tracks.

    python -m bench scale [--quick]        # 10k / 30k / 100k tracks (--quick: 5k / 10k)

The demo market is generated in memory at two or three sizes (`HISTORY_DAYS` days before `DAY`, as the stage
reads), and each stage of scoring is timed in this process: partitioning by artist (what the Dask path adds),
features, today's hit flags, `predict` and TreeSHAP (`pred_contrib`); memory is the peak RSS growth while the
features are built, per observation row. A least-squares line (seconds = a + b x tracks) per stage, and
observation rows per track, project the figures to 10M and 100M tracks:
- in one process (time from the line; memory from bytes per row x rows, which is why one process cannot);
- on Dask with `DASK_WORKERS` worker processes of one thread each, partitions of artists sized to
  `PARTITION_ROWS` observation rows (so one worker holds one partition's frames), each stage's per-track cost
  divided by the workers (features, labels and contributions only read a partition's own rows), plus the
  driver's partitioning, which stays serial.
Assumptions, said in the JSON and docs/bench.md: linear cost per track (the line's fit is reported), the same
model (tree count and leaves), the same observation rows per track and day, a network that moves a partition
faster than a worker scores it, and the read from PostgreSQL left out (measured by `python -m bench scoring`).
It is a projection from <= 100k tracks, not a measurement.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from bench.harness import Options, PeakRSS, Report
from bench.world import DAY
from jobs.features import HISTORY_DAYS
from jobs.sources.demo import DemoSource
from model.booster import FIXED_PARAMS, LightGBMFitter, base_params
from model.examples import LabelSpec, build_examples
from model.explain import contributions, model_input
from model.features import FeatureContext, build_features, feature_names
from model.frames import ModelFrames
from model.labels import history_labels
from model.partitions import artist_partitions

SIZES = {"10k": 2_090, "30k": 6_270, "100k": 20_900}  # tracks on DAY -> demo artists
QUICK_SIZES = {"5k": 1_045, "10k": 2_090}
TARGETS = {"10M": 10_000_000, "100M": 100_000_000}
DASK_WORKERS = 64
PARTITION_ROWS = 2_000_000
STAGES = ["partition", "features", "labels", "predict", "contributions"]


def market(n_artists: int, days: int = HISTORY_DAYS) -> ModelFrames:
    """`days` days of the demo market ending on DAY, in memory (as `read_model_frames` returns them)."""
    source = DemoSource(n_artists=n_artists)
    batches = list(source.extract_range(DAY - timedelta(days=days - 1), DAY, chunk_days=days))
    first = batches[0]
    observations = pd.concat([b.observations for b in batches], ignore_index=True)
    return ModelFrames(observations, first.tracks, first.track_artists, first.artists, first.audio_features)


def scoring_booster() -> lgb.Booster:
    """The fixed-parameter model (150 rounds, 7 leaves) fitted on a small market's labelled history."""
    examples = build_examples(market(300, days=120), LabelSpec())
    examples = examples[examples["label"].notna()].reset_index(drop=True)
    names = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    fitter = LightGBMFitter({**base_params(42, 1), **FIXED_PARAMS}, names, gap_days=28)
    return fitter.fit(examples, examples["label"].to_numpy()).booster


def measure(frames: ModelFrames, booster: lgb.Booster) -> dict[str, Any]:
    """Seconds per stage, rows, and the features' peak memory growth, for one market."""
    now, seconds = pd.Timestamp(DAY), {}
    started = time.perf_counter()
    artist_partitions(frames, 8)
    seconds["partition"] = time.perf_counter() - started
    with PeakRSS() as memory:
        started = time.perf_counter()
        ctx = FeatureContext.build(frames, until=now)
        current = build_features(ctx, [now], hit_metric="spotify_popularity", hit_threshold=70.0)
        seconds["features"] = time.perf_counter() - started
    started = time.perf_counter()
    history_labels(ctx, current, metric="spotify_popularity", threshold=70.0, horizon_days=1)
    seconds["labels"] = time.perf_counter() - started
    matrix = model_input(booster, current)
    started = time.perf_counter()
    booster.predict(matrix, raw_score=True)
    seconds["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    contributions(booster, current)
    seconds["contributions"] = time.perf_counter() - started
    return {
        "tracks": len(frames.tracks), "scored": len(current), "observation_rows": len(frames.observations),
        "seconds": {k: round(v, 3) for k, v in seconds.items()}, "features_peak_growth_bytes": memory.growth,
    }  # fmt: skip


def linear_fit(x: list[float], y: list[float]) -> dict[str, float]:
    """Least squares y = a + b x, with R^2 (1.0 for two points)."""
    b, a = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    fitted = a + b * np.asarray(x, float)
    total = float(np.sum((np.asarray(y) - np.mean(y)) ** 2))
    r2 = 1.0 - float(np.sum((np.asarray(y) - fitted) ** 2)) / total if total else 1.0
    return {"a_s": float(a), "b_s_per_track": float(b), "r2": r2}


def project(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-stage lines and the 10M / 100M projections (see the module docstring's assumptions)."""
    tracks = [p["tracks"] for p in points]
    lines = {s: linear_fit(tracks, [p["seconds"][s] for p in points]) for s in STAGES}
    rows_per_track = float(np.mean([p["observation_rows"] / p["tracks"] for p in points]))
    bytes_per_row = float(np.mean([p["features_peak_growth_bytes"] / p["observation_rows"] for p in points]))
    out: dict[str, Any] = {}
    for name, n in TARGETS.items():
        per_stage = {s: max(lines[s]["a_s"] + lines[s]["b_s_per_track"] * n, 0.0) for s in STAGES}
        rows = rows_per_track * n
        partitions = int(np.ceil(rows / PARTITION_ROWS))
        parallel = sum(v for s, v in per_stage.items() if s != "partition")
        out[name] = {
            "observation_rows": round(rows), "one_process_s": round(parallel),  # in-process: no partitioning
            "one_process_memory_gib": round(rows * bytes_per_row / 2**30, 1),
            "stage_s": {k: round(v) for k, v in per_stage.items()},
            "dask_workers": DASK_WORKERS, "partitions": partitions,
            "partitions_per_worker": round(partitions / DASK_WORKERS, 1),
            "dask_s": round(per_stage["partition"] + parallel / DASK_WORKERS),
            "memory_per_partition_gib": round(PARTITION_ROWS * bytes_per_row / 2**30, 2),
        }  # fmt: skip
    return {"lines": lines, "rows_per_track": rows_per_track, "bytes_per_row": bytes_per_row, "targets": out}


def run(options: Options) -> Report:
    report = Report()
    booster = scoring_booster()
    points = []
    for label, artists in (QUICK_SIZES if options.quick else SIZES).items():
        point = {"size": label, **measure(market(artists), booster)}
        points.append(point)
        stages = ", ".join(f"{s} {point['seconds'][s]:.2f}" for s in STAGES)
        report.row(f"scale: {label} tracks ({point['tracks']} in the catalogue), stage seconds", stages)
    projection = project(points)
    for name, target in projection["targets"].items():
        report.row(
            f"scale: projected score stage at {name} tracks",
            f"one process {target['one_process_s']} s and {target['one_process_memory_gib']} GiB; Dask "
            f"{target['dask_workers']} workers x {target['partitions_per_worker']} partitions of "
            f"{PARTITION_ROWS:,} rows: {target['dask_s']} s, {target['memory_per_partition_gib']} GiB each",
        )
    report.figures = {
        "points": points, "projection": projection,
        "assumptions": {
            "cost": "linear in tracks per stage (least squares; r2 per stage in projection.lines)",
            "model": "fixed parameters, 150 rounds x 7 leaves (TreeSHAP grows with trees x leaves)",
            "rows": "observation rows per track as in the demo market over HISTORY_DAYS days",
            "dask": f"{DASK_WORKERS} single-thread workers, partitions of {PARTITION_ROWS:,} observation rows, "
            "parallel stages divided by the workers, partitioning serial on the driver, transfer not counted",
            "excluded": "the PostgreSQL read and the COPY of the results (python -m bench scoring measures them)",
        },
    }  # fmt: skip
    report.notes.append("a projection from <= 100k tracks, not a measurement at 10M or 100M")
    return report
