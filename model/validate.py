"""Honest validation: rolling-origin forward folds, one model per origin, baselines on the same origins, paired
intervals clustered by track, per-series and pooled results, calibration, and the leaky random split.

    report = evaluate(examples, features, fitter, time_column="as_of", gap_days=28, n_origins=6, k=10)

Every candidate (the model, each baseline, and optionally the active model) is fitted once per origin on the
rows before the gap and scores the origin's whole test block. `forward` is the mean over origins; `ci` is the
model's PR-AUC minus the best baseline's with a 95% track-bootstrap interval (`model.uncertainty`), and the
verdict is win/tie/loss by that interval. `champion` is the model on a win, otherwise the best baseline.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from model.baselines import Fitter, baseline_fitters, signal_columns
from model.folds import Origin, protocol_origins
from model.metrics import classification_metrics, expected_calibration_error, log_loss, mean_metrics, reliability_bins
from model.uncertainty import paired_difference, verdict

logger = logging.getLogger(__name__)
MODEL = "model"


def _list_keys(rows: pd.DataFrame, time_column: str, series_column: str | None) -> np.ndarray | None:
    """One key per list the user sees: a date (per series when pooled); None for snapshot data."""
    if time_column != "as_of":
        return None
    keys = rows[time_column].astype(str)
    if series_column and series_column in rows:
        keys = rows[series_column].astype(str) + "|" + keys
    return keys.to_numpy()


def _predict(fit: Fitter, examples: pd.DataFrame, label: str, origins: list[Origin]) -> np.ndarray:
    """Each origin's test block scored by one fit on its training rows, concatenated in origin order."""
    parts = []
    for origin in origins:
        train = examples.iloc[origin.train]
        parts.append(fit(train, train[label].to_numpy(), examples.iloc[origin.test]))
    return np.concatenate(parts)


def _fold_metrics(
    y: np.ndarray, p: np.ndarray, keys: np.ndarray | None, origin_of: np.ndarray, origins: list[Origin], k: int
) -> list[dict[str, Any]]:
    out = []
    for origin in origins:
        rows = origin_of == origin.index
        groups = keys[rows] if keys is not None else None
        out.append({**origin.window(), **classification_metrics(y[rows], p[rows], k=k, groups=groups)})
    return out


def _compare(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    names: list[str],
    origin_of: np.ndarray,
    tracks: np.ndarray,
    seed: int,
    n_boot: int,
) -> dict[str, Any]:
    """The best of `names` by PR-AUC over origins, and the model's paired difference to it."""
    best, best_value = None, -np.inf
    for name in names:
        value = paired_difference(y, scores[name], scores[name], origins=origin_of, clusters=tracks, n_boot=0)["a"]
        if value is not None and value > best_value:
            best, best_value = name, value
    if best is None:
        return {"against": None, "diff": None, "lo": None, "hi": None, "verdict": "tie"}
    ci = paired_difference(y, scores[MODEL], scores[best], origins=origin_of, clusters=tracks, n_boot=n_boot, seed=seed)
    return {"against": best, **ci, "verdict": verdict(ci["lo"], ci["hi"])}


def _positives(y: np.ndarray, tracks: np.ndarray) -> dict[str, int]:
    return {"rows": int(y.sum()), "tracks": int(len(set(tracks[y > 0]))), "test_rows": int(len(y))}


def calibration_report(y: np.ndarray, scores: dict[str, np.ndarray], hit_metric: str) -> dict[str, Any]:
    """Quantile reliability bins and ECE of the model on every test block, with Brier and log-loss beside
    the constant prevalence and the current-position signal."""
    bins = reliability_bins(y, scores[MODEL])
    against = {name: scores[name] for name in ("prevalence", "current_level") if name in scores}
    return {
        "method": "platt (inner forward split)",
        "bins": bins,
        "ece": expected_calibration_error(bins),
        "brier": float(np.mean((scores[MODEL] - y) ** 2)),
        "log_loss": log_loss(y, scores[MODEL]),
        "against": {
            name: {"brier": float(np.mean((p - y) ** 2)), "log_loss": log_loss(y, p)} for name, p in against.items()
        },
    }


def evaluate(
    examples: pd.DataFrame,
    features: list[str],
    fit_model: Fitter,
    *,
    label: str = "label",
    time_column: str = "as_of",
    gap_days: int,
    n_origins: int = 6,
    k: int = 10,
    hit_metric: str = "spotify_popularity",
    seed: int = 42,
    series_column: str | None = None,
    incumbent: Fitter | None = None,
    n_boot: int = 1000,
    first_sight: bool = False,
) -> dict[str, Any]:
    """The whole protocol on labelled `examples`; returns a JSON-ready report (`first_sight`: against the
    baselines a track's first sight can know, `model.baselines.first_sight_signal_columns`)."""
    examples = examples[examples[label].notna()].reset_index(drop=True)
    selection, origins, skipped = protocol_origins(
        examples[time_column], n_origins=n_origins, gap_days=gap_days, labels=examples[label]
    )
    for block in skipped:
        logger.warning("origin %s not used (%s..%s): %s", block["origin"], block["test_from"], block["test_to"],
                       block["reason"])  # fmt: skip
    if not origins:
        raise ValueError("not enough history for a forward fold: need labelled rows on both sides of the gap")
    tested = np.concatenate([o.test for o in origins])
    origin_of = np.concatenate([np.full(len(o.test), o.index) for o in origins])
    test_rows = examples.iloc[tested].reset_index(drop=True)
    y = test_rows[label].to_numpy(dtype=float)
    tracks = test_rows["track_id"].astype(str).to_numpy()
    keys = _list_keys(test_rows, time_column, series_column)

    candidates = baseline_fitters(examples, features, hit_metric, first_sight=first_sight)
    fitters: dict[str, Fitter | str] = {MODEL: fit_model, **candidates}
    if incumbent is not None:
        fitters["active"] = incumbent
    scores: dict[str, np.ndarray] = {}
    results: dict[str, Any] = {}
    for name, fit in fitters.items():
        if isinstance(fit, str):
            results[name] = {"skipped": fit}
            continue
        scores[name] = _predict(fit, examples, label, origins)
        folds = _fold_metrics(y, scores[name], keys, origin_of, origins, k)
        results[name] = {**mean_metrics(folds), "holdout": folds[-1], "folds": folds}
    baselines = [n for n in scores if n not in (MODEL, "active")]
    ci = _compare(y, scores, baselines, origin_of, tracks, seed, n_boot)
    champion = _champion(y, scores, ci, origin_of, tracks, seed, n_boot, hit_metric)
    report: dict[str, Any] = {
        "forward": {key: v for key, v in results[MODEL].items() if key not in ("holdout", "folds")},
        "holdout": results[MODEL]["holdout"],
        "folds": results[MODEL]["folds"],
        "baselines": {n: results[n] for n in fitters if n not in (MODEL, "active")},
        "ci": {"pr_auc": ci},
        "verdict": ci["verdict"],
        "positives": _positives(y, tracks),
        "champion": champion,
        "calibration": calibration_report(y, scores, hit_metric),
        "skipped_origins": skipped,
        "n_train": results[MODEL]["holdout"]["n_train"],
        "n_test": int(len(y)),
        "prevalence": float(examples[label].mean()),
        "features": features,
        "protocol": {
            "time_column": time_column,
            "gap_days": gap_days,
            "n_origins": len(origins),
            "origins_requested": n_origins,
            "selection_origins": [o.window() for o in selection],
            "interval": "95% bootstrap over tracks, paired",
            "n_boot": n_boot,
            "list": "per date" + (" and series" if series_column else ""),
            "k": k,
        },  # fmt: skip
    }
    if incumbent is not None:
        vs_active = paired_difference(y, scores[MODEL], scores["active"], origins=origin_of, clusters=tracks,
                                      n_boot=n_boot, seed=seed)  # fmt: skip
        report["active"] = {
            **results["active"],
            "ci": {**vs_active, "verdict": verdict(vs_active["lo"], vs_active["hi"])},
        }
    report["per_series"] = _per_series(test_rows, y, scores, baselines, origin_of, tracks, keys, origins, k, seed,
                                       n_boot, series_column)  # fmt: skip
    report["pooled"] = {"forward": report["forward"], "ci": ci, "positives": report["positives"],
                        "series": sorted(report["per_series"])}  # fmt: skip
    report["random_split"] = random_split(examples, fit_model, label=label, k=k, seed=seed, time_column=time_column,
                                          series_column=series_column)  # fmt: skip
    return report


def _champion(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    ci: dict[str, Any],
    origin_of: np.ndarray,
    tracks: np.ndarray,
    seed: int,
    n_boot: int,
    hit_metric: str,
) -> dict[str, Any]:
    """What ranks the published list: the model when its interval beats the best baseline; otherwise the best
    single signal (a list the jobs can rank by) unless the model's interval beats that signal too."""
    if ci["verdict"] == "win":
        return {"name": MODEL, "kind": "model", "reason": f"its PR-AUC interval lies above {ci['against']}'s"}
    signals = [n for n in signal_columns(hit_metric) if n in scores]
    best = _compare(y, scores, signals, origin_of, tracks, seed, n_boot) if signals else {"against": None}
    if best["against"] is None or best["verdict"] == "win":
        return {"name": MODEL, "kind": "model",
                "reason": f"it ties {ci['against']} (not a single signal the list can be ranked by) and its"
                          " interval beats every single signal"}  # fmt: skip
    reason = (
        f"the model does not beat {ci['against']} by its interval ({ci['verdict']}), nor the {best['against']}"
        f" signal ({best['verdict']}): the list is ranked by {best['against']}"
    )
    return {"name": best["against"], "kind": "baseline", "reason": reason}


def _per_series(
    rows: pd.DataFrame,
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    baselines: list[str],
    origin_of: np.ndarray,
    tracks: np.ndarray,
    keys: np.ndarray | None,
    origins: list[Origin],
    k: int,
    seed: int,
    n_boot: int,
    series_column: str | None,
) -> dict[str, Any]:
    """The same comparison inside each series (its own best baseline), from the pooled model's scores."""
    series = rows[series_column].astype(str).to_numpy() if series_column and series_column in rows else None
    if series is None:
        return {}
    out: dict[str, Any] = {}
    for name in sorted(set(series)):
        mine = series == name
        sub = {n: s[mine] for n, s in scores.items()}
        ci = _compare(y[mine], sub, baselines, origin_of[mine], tracks[mine], seed, n_boot)
        model_folds = [
            classification_metrics(y[mine & (origin_of == o.index)], scores[MODEL][mine & (origin_of == o.index)],
                                   k=k, groups=keys[mine & (origin_of == o.index)] if keys is not None else None)
            for o in origins if (mine & (origin_of == o.index)).any()
        ]  # fmt: skip
        out[name] = {"forward": mean_metrics(model_folds), "ci": ci, "verdict": ci["verdict"],
                     "positives": _positives(y[mine], tracks[mine])}  # fmt: skip
    return out


def random_split(
    examples: pd.DataFrame,
    fit_model: Fitter,
    *,
    label: str,
    k: int,
    seed: int,
    time_column: str = "as_of",
    series_column: str | None = None,
) -> dict[str, Any]:
    """The leaky protocol, for comparison: a stratified random 75/25 split of the same rows."""
    y = examples[label].to_numpy()
    stratify = y if len(np.unique(y)) == 2 and min(np.bincount(y.astype(int))) >= 2 else None
    train_idx, test_idx = train_test_split(
        np.arange(len(examples)), test_size=0.25, random_state=seed, stratify=stratify
    )
    train, test = examples.iloc[train_idx], examples.iloc[test_idx]
    p = fit_model(train, train[label].to_numpy(), test)
    metrics = classification_metrics(
        test[label].to_numpy(), p, k=k, groups=_list_keys(test, time_column, series_column)
    )
    return {**metrics, "n_train": len(train), "n_test": len(test)}
