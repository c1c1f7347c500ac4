"""`python -m jobs evaluate`: the whole validation protocol on a real data file, as a JSON report.

    python -m jobs evaluate --data ../shared/data/spotify-top50-daily/spotify-streaming-top-50-world.csv.gz \
        --report artifacts/eval/top50-world.json

Builds labelled examples with the layout's hit label (history: "reaches it within H days"; snapshot: "meets
it at the snapshot", folds then run forward by release date), tunes and validates the model against the
baselines and the leaky random split, writes `{"forward", "holdout", "folds", "random_split", "baselines",
"n_train", "n_test", "prevalence", "label", "features", ...}` and logs a readable summary.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.settings import Settings
from jobs.evaluate_readers import read_for_evaluation
from jobs.model_store import json_safe
from model.examples import build_examples
from model.features import feature_names
from model.train import TrainConfig, train_and_validate

logger = logging.getLogger(__name__)
METRICS = ("pr_auc", "roc_auc", "precision_at_k", "brier")


def evaluate_file(
    path: str | Path,
    *,
    layout: str,
    report_path: str | Path,
    settings: Settings,
    trials: int | None = None,
    time_budget: float | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    frames, spec, layout = read_for_evaluation(path, layout)
    if threshold is not None:
        spec = replace(spec, threshold=threshold)
    examples = build_examples(frames, spec)
    snapshot = spec.mode == "snapshot"
    if snapshot:  # forward in time = by release date; undated tracks cannot be placed
        examples = examples[examples["release_date"].notna()].reset_index(drop=True)
    names = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    config = TrainConfig(
        seed=settings.MODEL_SEED, n_trials=trials or settings.OPTUNA_TRIALS,
        time_budget=time_budget or settings.TRAIN_TIME_BUDGET, num_threads=settings.MODEL_NUM_THREADS,
        max_rounds=settings.MODEL_MAX_ROUNDS, n_folds=settings.MODEL_FOLDS, k=settings.EMERGING_LIST_SIZE,
    )  # fmt: skip
    result = train_and_validate(
        examples, names, config, time_column="release_date" if snapshot else "as_of",
        gap_days=0 if snapshot else spec.horizon_days, hit_metric=spec.metric,
    )  # fmt: skip
    labelled = examples[examples["label"].notna()]
    report = {
        **result.report,
        "label": {**spec.describe(), "hit": _hit_rule(spec.metric, spec.threshold)},
        "data": {
            "path": str(path),
            "layout": layout,
            "examples": len(labelled),
            "tracks": len(frames.tracks),
        },
        "params": result.params,
        "tuning": result.tuning,
    }
    Path(report_path).parent.mkdir(parents=True, exist_ok=True)
    Path(report_path).write_text(json.dumps(json_safe(report), indent=1, default=str))
    for line in summary_lines(report):
        logger.info("%s", line)
    return report


def _hit_rule(metric: str, threshold: float) -> str:
    return f"{metric} <= {threshold:g}" if metric == "chart_position" else f"{metric} >= {threshold:g}"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A readable table: the model forward (mean of folds), each baseline, the random split."""
    rows = [("model (forward)", report["forward"]), ("model (holdout fold)", report["holdout"])]
    rows += [(f"baseline: {name}", m) for name, m in report.get("baselines", {}).items() if "skipped" not in m]
    rows.append(("model (random split, leaky)", report["random_split"]))
    lines = [
        f"{report['data']['path']} [{report['data']['layout']}] label {report['label']['hit']}"
        f" ({report['label']['mode']}), n_train {report['n_train']}, n_test {report['n_test']},"
        f" prevalence {report['prevalence']:.4f}",
        f"{'':32}" + "".join(f"{m:>16}" for m in METRICS),
    ]
    for name, metrics in rows:
        lines.append(f"{name:32}" + "".join(f"{_fmt(metrics.get(m)):>16}" for m in METRICS))
    return lines


def _fmt(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{value:.4f}"
