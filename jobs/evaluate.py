"""`python -m jobs evaluate`: the whole validation protocol on a real data file, as a JSON report.

    python -m jobs evaluate --data ../shared/data/spotify-top50-daily/spotify-streaming-top-50-world.csv.gz \
        --report artifacts/eval/top50-world.json

The file is read with the dataset importer (`jobs.sources.dataset.read_dataset`, the same parser as
`python -m jobs import`), straight into model frames (no database needed). Each layout has a default hit
label: chart layouts `chart_position <= 10` within 28 days (history); TidyTuesday `spotify_popularity >= 70`
at the snapshot; music-mining its `chart_status >= 1` ("charted", read from the file: the importer does not
load it) at the snapshot. Snapshot data runs forward by release date. The report is
`{"forward", "holdout", "folds", "random_split", "baselines", "n_train", "n_test", "prevalence", "label",
"features", ...}`, and a readable summary is logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.settings import Settings
from jobs.errors import DataQualityError
from jobs.model_store import json_safe
from jobs.sources.column_map import ColumnMap
from jobs.sources.dataset import read_dataset
from model.examples import LabelSpec, build_examples
from model.features import feature_names
from model.frames import ModelFrames
from model.train import TrainConfig, train_and_validate

logger = logging.getLogger(__name__)
METRICS = ("pr_auc", "roc_auc", "precision_at_k", "brier")
CHART_LABEL = LabelSpec(metric="chart_position", threshold=10, horizon_days=28, mode="history", step_days=7)
DEFAULT_LABELS = {
    "top50-daily": CHART_LABEL,
    "playlist-snapshots": CHART_LABEL,
    "spotify-charts": CHART_LABEL,
    "music-mining-charts": CHART_LABEL,
    "tidytuesday": LabelSpec(metric="spotify_popularity", threshold=70, mode="snapshot"),
    "spotify-114k": LabelSpec(metric="spotify_popularity", threshold=70, mode="snapshot"),
    "spotify-600k": LabelSpec(metric="spotify_popularity", threshold=70, mode="snapshot"),
    "music-mining": LabelSpec(metric="chart_status", threshold=1, mode="snapshot"),
}


def read_for_evaluation(
    path: str | Path, layout: str = "auto", mapping: ColumnMap | None = None
) -> tuple[ModelFrames, LabelSpec, str]:
    """Frames of a whole file through the importer (and its column `mapping`, if any), the layout's default
    label, and the layout name."""
    imported = read_dataset(Path(path), layout, mapping=mapping)
    labelled = [found for _, found in imported.parts if found.name in DEFAULT_LABELS]
    if len(labelled) != 1:
        names = imported.layouts
        raise DataQualityError(f"{path}: evaluate needs exactly one file of a labelled layout, got {names}")
    layout_found = labelled[0]
    batches = list(imported.batches)
    frames = {
        name: pd.concat([getattr(b, name) for b in batches], ignore_index=True)
        for name in ("observations", "tracks", "track_artists", "artists", "audio_features")
    }
    name = layout_found.name
    obs = frames["observations"]
    if name == "playlist-snapshots":  # the playlist shrank to 100: compare ranks within the top 100 only
        obs = obs[~((obs["metric"] == "chart_position") & (obs["value"] > 100))]
    if name == "music-mining":
        obs = pd.concat([obs, _chart_status(Path(path), layout_found.snapshot_date)], ignore_index=True)
    report = imported.report
    logger.info(
        "%s read as %s: %d rows kept, %d rejected, %d observations, %d tracks", Path(path).name, name,
        report.rows_kept, report.rows_rejected, len(obs), len(frames["tracks"]),
    )  # fmt: skip
    model_frames = ModelFrames(
        obs, frames["tracks"], frames["track_artists"], frames["artists"], frames["audio_features"]
    )
    return model_frames, DEFAULT_LABELS[name], name


def _chart_status(path: Path, snapshot: Any) -> pd.DataFrame:
    """music-mining's hit label as an observation (`chart_status`: 0 never charted, 1 charted, 2 top 25)."""
    raw = pd.read_csv(path, usecols=["id", "chart_status"]).dropna().drop_duplicates("id")
    return pd.DataFrame(
        {"entity_type": "track", "entity_id": raw["id"], "metric": "chart_status", "observed_on": snapshot,
         "source": "dataset", "value": raw["chart_status"].astype(float)}
    )  # fmt: skip


def evaluate_file(
    path: str | Path,
    *,
    layout: str,
    report_path: str | Path,
    settings: Settings,
    trials: int | None = None,
    time_budget: float | None = None,
    threshold: float | None = None,
    mapping: ColumnMap | None = None,
) -> dict[str, Any]:
    frames, spec, layout = read_for_evaluation(path, layout, mapping)
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
