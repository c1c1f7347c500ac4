"""Popularity regression beside the hit classifier, validated forward; and genre evolution among hits (pure).

The regressor (LightGBM, one thread) learns each track's peak popularity from what is known at release: its
sound, genre, release month, duration and explicitness. The published predictions are out-of-fold: the
dated tracks are cut into `OOF_FOLDS` blocks by release date and each block is predicted by a fit on the other
blocks, so no track's prediction comes from a fit that saw it, and its residual is an honest second
underperformance signal; tracks without a popularity or a date (never trained on) are predicted by a fit on
every dated track. Validation is forward in time: the newest block's fit trained on every older release, so its
predictions of that block (the newest ~1/`OOF_FOLDS` of the releases) are the test, against two baselines fitted
on the same training part (the mean, and the mean of the track's genre). Six fits in all (the forward fit was a
seventh until it was seen to be the newest block's fit but for one row: 0.6 s of 4.6 s at 100k tracks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

MIN_TRACKS = 100
PARAMS = {
    "objective": "regression", "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20,
    "feature_fraction": 0.9, "num_threads": 1, "verbose": -1, "deterministic": True,
}  # fmt: skip
ROUNDS = 100  # at learning rate 0.1: half the CPU of 200 at 0.05, the same forward error (docs/bench.md)
OOF_FOLDS = 5


@dataclass
class PopularityFit:
    predictions: np.ndarray  # one per row of the frame given, NaN where unknown
    metrics: dict[str, Any]


def _errors(truth: np.ndarray, guess: np.ndarray) -> dict[str, float]:
    return {
        "rmse": round(float(np.sqrt(np.mean((truth - guess) ** 2))), 3),
        "mae": round(float(np.mean(np.abs(truth - guess))), 3),
    }


def fit_popularity(frame: pd.DataFrame, features: list[str], *, seed: int = 0) -> PopularityFit | None:
    """`frame` holds `features`, `genre`, `release_date` and `popularity`; None when too few dated tracks.
    The fits read rows of one (rows x features) float64 array (`_design`), not copies of the frame: at 1M
    tracks the sorted copy of every column, the design frame, its dated rows and their array were ~250 MB."""
    facts = frame[["release_date", "track_id", "genre", "popularity"]].reset_index(drop=True)
    known = facts.dropna(subset=["popularity", "release_date"]).sort_values(["release_date", "track_id"])
    if len(known) < MIN_TRACKS:
        return None
    x_all = _design(frame, features)
    rows = known.index.to_numpy()  # the dated rows of `x_all`, in release order
    y = known["popularity"].to_numpy(dtype=float)
    blocks = np.array_split(np.arange(len(known)), OOF_FOLDS)  # by release date, the newest last
    cut = int(blocks[-1][0])  # the forward test: the newest block, predicted by a fit on every older release
    predictions = _out_of_fold(x_all, rows, y, blocks, {**PARAMS, "seed": seed})
    truth, train_genre = y[cut:], known["genre"].iloc[:cut]
    genre_mean = pd.Series(y[:cut], index=train_genre.to_numpy()).groupby(level=0).mean()
    by_genre = known["genre"].iloc[cut:].map(genre_mean).fillna(float(y[:cut].mean())).to_numpy(dtype=float)
    metrics = {
        "model": _errors(truth, predictions[rows[cut:]]),
        "baselines": {
            "train mean": _errors(truth, np.full(len(truth), y[:cut].mean())),
            "genre mean": _errors(truth, by_genre),
        },
        "n_train": cut,
        "n_test": len(known) - cut,
        "test_from": str(known["release_date"].iloc[cut]),
        "features": features,
    }
    metrics["predictions"] = f"out-of-fold ({OOF_FOLDS} blocks by release date)"
    return PopularityFit(predictions, metrics)


def _out_of_fold(
    x_all: np.ndarray, rows: np.ndarray, y: np.ndarray, blocks: list[np.ndarray], params: dict[str, Any]
) -> np.ndarray:
    """Per row of `x_all`: the dated `rows` (in release order, labels `y`) from a fit on the other blocks; the
    rest from a fit on all of them."""
    out = np.full(len(x_all), np.nan)
    for block in blocks:
        rest = np.setdiff1d(np.arange(len(rows)), block)
        fit = lgb.train(params, lgb.Dataset(x_all[rows[rest]], label=y[rest]), ROUNDS)
        out[rows[block]] = fit.predict(x_all[rows[block]])
    unseen = np.setdiff1d(np.arange(len(x_all)), rows)
    if len(unseen):
        full = lgb.train(params, lgb.Dataset(x_all[rows], label=y), ROUNDS)
        out[unseen] = full.predict(x_all[unseen])
    return out


def _design(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """(rows x features + 1) float64: `features`, then the genre's category code."""
    x = np.empty((len(frame), len(features) + 1))
    for column, name in enumerate(features):
        x[:, column] = frame[name].to_numpy(dtype=float, na_value=np.nan)
    x[:, -1] = frame["genre"].astype("category").cat.codes
    return x


def genre_evolution(tracks: pd.DataFrame, column: str) -> pd.DataFrame:
    """(label, release_year, n_hits, share): each label's share of the year's hits, from rows with `is_hit`,
    `release_year` and `column`."""
    hits = tracks[tracks["is_hit"] & tracks["release_year"].notna() & tracks[column].notna()]
    if hits.empty:
        return pd.DataFrame(columns=["label", "release_year", "n_hits", "share"])
    counts = hits.groupby(["release_year", column]).size().rename("n_hits").reset_index()
    counts["share"] = counts["n_hits"] / counts.groupby("release_year")["n_hits"].transform("sum")
    return counts.rename(columns={column: "label"})[["label", "release_year", "n_hits", "share"]]
