"""Paired differences with a 95% interval clustered by track, and the win/tie/loss verdict they give.

    ci = paired_difference(y, model_scores, baseline_scores, origins=origin_of_row, clusters=track_ids)
    verdict(ci["lo"], ci["hi"])                      # "win" | "tie" | "loss"

The metric is PR-AUC (average precision), averaged over the rolling origins, exactly as the report's
`forward` value. The interval is a seeded bootstrap over *tracks*: a track and every row of it (all its
dates, in every origin) are drawn together, so the many near-identical weekly rows of one track do not
count as independent evidence. Both candidates are scored on the same draw (paired).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


class _Ranked:
    """One candidate's scores on one origin, sorted once; weighted AP for any row weights is then O(n)."""

    def __init__(self, y: np.ndarray, scores: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(-scores, kind="mergesort")
        self.rows = rows[order]
        self.y = y[order]
        ranked = scores[order]
        # Last index of each run of tied scores: precision and recall are read there only (as sklearn does).
        self.ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])

    def average_precision(self, weights: np.ndarray) -> np.ndarray:
        """Weighted AP for each row of `weights` (shape draws x all rows)."""
        w = weights[:, self.rows]
        tp = np.cumsum(w * self.y, axis=1)[:, self.ends]
        seen = np.cumsum(w, axis=1)[:, self.ends]
        total = tp[:, -1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(seen > 0, tp / seen, 0.0)
            recall = tp / total
        steps = np.diff(np.concatenate([np.zeros((len(w), 1)), recall], axis=1), axis=1)
        ap = np.sum(steps * precision, axis=1)
        return np.where(total[:, 0] > 0, ap, np.nan)


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (sklearn's definition, ties included)."""
    y = np.asarray(y, dtype=float)
    ranked = _Ranked(y, np.asarray(scores, dtype=float), np.arange(len(y)))
    return float(ranked.average_precision(np.ones((1, len(y))))[0])


def _mean_over_origins(ranked: list[_Ranked], weights: np.ndarray) -> np.ndarray:
    per_origin = np.stack([r.average_precision(weights) for r in ranked], axis=1)
    with warnings.catch_warnings():  # a draw without positives on every origin has no AP: NaN, dropped
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(per_origin, axis=1))


def paired_difference(
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    origins: np.ndarray,
    clusters: np.ndarray,
    n_boot: int = 1000,
    seed: int = 42,
    chunk: int = 100,
) -> dict[str, Any]:
    """PR-AUC of `a` minus PR-AUC of `b` (each the mean over origins) and its 95% track-bootstrap interval."""
    y = np.asarray(y, dtype=float)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    origins = np.asarray(origins)
    codes = np.unique(np.asarray(clusters).astype(str), return_inverse=True)[1]
    n_clusters = int(codes.max()) + 1 if len(codes) else 0
    ranked_a, ranked_b = [], []
    for origin in np.unique(origins):
        rows = np.flatnonzero(origins == origin)
        if y[rows].sum() > 0:
            ranked_a.append(_Ranked(y[rows], a[rows], rows))
            ranked_b.append(_Ranked(y[rows], b[rows], rows))
    if not ranked_a:
        return {"diff": None, "lo": None, "hi": None, "a": None, "b": None, "n_boot": 0}
    ones = np.ones((1, len(y)))
    value_a, value_b = float(_mean_over_origins(ranked_a, ones)[0]), float(_mean_over_origins(ranked_b, ones)[0])
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        counts = np.stack([np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
                           for _ in range(size)])  # fmt: skip
        weights = counts[:, codes].astype(float)
        diffs.append(_mean_over_origins(ranked_a, weights) - _mean_over_origins(ranked_b, weights))
    draws = np.concatenate(diffs) if diffs else np.array([])
    draws = draws[~np.isnan(draws)]
    lo, hi = np.percentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan)
    return {
        "diff": value_a - value_b, "lo": float(lo), "hi": float(hi), "a": value_a, "b": value_b,
        "n_boot": int(n_boot), "clusters": n_clusters,
    }  # fmt: skip


def verdict(lo: float | None, hi: float | None) -> str:
    """Win when the whole interval is above zero, loss when it is all below, otherwise a tie."""
    if lo is None or hi is None or lo != lo or hi != hi:
        return "tie"
    if lo > 0:
        return "win"
    if hi < 0:
        return "loss"
    return "tie"
