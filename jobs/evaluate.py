"""`python -m jobs evaluate`: the whole validation protocol on real data files, pooled, as one JSON report.

    python -m jobs evaluate --data ../shared/data/spotify-top50-daily --report docs/reports/top50-pooled.json
    python -m jobs evaluate --data a.csv.gz b.csv.gz --horizon 14 --report out.json

Each file (a directory gives its .csv / .csv.gz files) is read with the dataset importer through
`read_for_evaluation` (the same parser as `python -m jobs import`; no database needed) and labelled on its own
as one series; several series are pooled into one model (`model.pooled`). Each layout has a default hit label:
chart layouts `chart_position <= 10` within 28 days (history); TidyTuesday `spotify_popularity >= 70` at the
snapshot; music-mining its `chart_status >= 1` at the snapshot. Snapshot data runs forward by release date.
The report follows `core.model_report.ModelReport` (`forward`, `random_split`, `baselines`, `pooled`,
`per_series`, `ci`, `positives`, `verdict`, `champion`, `calibration`, ...), and a readable summary is logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.hit_definition import HitDefinition
from core.model_report import validated_report
from core.settings import Settings
from jobs.errors import DataQualityError
from jobs.model_store import json_safe
from jobs.progress import Progress, optuna_trials
from jobs.sources.column_map import ColumnMap
from jobs.sources.dataset import read_dataset
from model.examples import LabelSpec, build_examples
from model.features import FeatureContext, feature_names
from model.frames import ModelFrames
from model.pooled import pool_series
from model.train import TrainConfig, train_and_validate

logger = logging.getLogger(__name__)
METRICS = ("pr_auc", "roc_auc", "precision_at_k", "brier")
TOP50_LIST = 10  # a Top-50 date has 27-35 candidates: precision@10, not @50
CHART_LABEL = LabelSpec(HitDefinition("chart_position", 10, 28), mode="history", step_days=7)
DEFAULT_LABELS = {
    "top50-daily": CHART_LABEL,
    "playlist-snapshots": CHART_LABEL,
    "spotify-charts": CHART_LABEL,
    "music-mining-charts": CHART_LABEL,
    "tidytuesday": LabelSpec(HitDefinition("spotify_popularity", 70), mode="snapshot"),
    "spotify-114k": LabelSpec(HitDefinition("spotify_popularity", 70), mode="snapshot"),
    "spotify-600k": LabelSpec(HitDefinition("spotify_popularity", 70), mode="snapshot"),
    "music-mining": LabelSpec(HitDefinition("chart_status", 1), mode="snapshot"),
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


def data_paths(data: list[str | Path]) -> list[Path]:
    """Files from `--data`: files as given, directories expanded to their .csv / .csv.gz files (sorted)."""
    out: list[Path] = []
    for item in map(Path, data):
        if item.is_dir():
            out += sorted(p for p in item.iterdir() if p.name.endswith((".csv", ".csv.gz")))
        else:
            out.append(item)
    if not out:
        raise DataQualityError(f"no data files in {', '.join(map(str, data))}")
    return out


def series_name(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".csv").removeprefix("spotify-streaming-")


def read_series(
    paths: list[Path], *, layout: str, threshold: float | None, horizon: int | None, mapping: ColumnMap | None = None
) -> tuple[dict[str, tuple[FeatureContext, pd.DataFrame]], LabelSpec, str, int]:
    """Each file read and labelled on its own (its own series); one label rule for all of them."""
    parts: dict[str, tuple[FeatureContext, pd.DataFrame]] = {}
    specs, layouts, tracks = set(), set(), 0
    for path in paths:
        frames, spec, found = read_for_evaluation(path, layout, mapping)
        hit = replace(
            spec.hit,
            threshold=spec.threshold if threshold is None else threshold,
            horizon_days=spec.horizon_days if horizon is None else horizon,
        )
        spec = replace(spec, hit=hit)
        ctx = FeatureContext.build(frames)
        examples = build_examples(ctx, spec)
        if spec.mode == "snapshot":  # forward in time = by release date; undated tracks cannot be placed
            examples = examples[examples["release_date"].notna()].reset_index(drop=True)
        parts[series_name(path)] = (ctx, examples)
        specs.add(spec)
        layouts.add(found)
        tracks += len(frames.tracks)
    if len(specs) != 1:
        raise DataQualityError(f"evaluate pools files with one label rule; these have {sorted(map(str, specs))}")
    spec = specs.pop()
    if spec.mode == "snapshot" and len(parts) > 1:
        raise DataQualityError("snapshot tables are evaluated one file at a time")
    return parts, spec, "+".join(sorted(layouts)), tracks


def evaluate_data(
    data: list[str | Path],
    *,
    layout: str,
    report_path: str | Path,
    settings: Settings,
    trials: int | None = None,
    time_budget: float | None = None,
    threshold: float | None = None,
    horizon: int | None = None,
    mapping: ColumnMap | None = None,
) -> dict[str, Any]:
    """The protocol on one or several files pooled into one model (per-series results beside the pooled ones)."""
    paths = data_paths(data)
    parts, spec, layout_found, _ = read_series(
        paths, layout=layout, threshold=threshold, horizon=horizon, mapping=mapping
    )
    snapshot = spec.mode == "snapshot"
    pooled = len(parts) > 1
    if pooled:
        examples = pool_series(parts)
    else:
        ((name, (_, examples)),) = parts.items()
        examples = examples.assign(series=name)
    names = feature_names(examples.drop(columns=["is_hit_now", "label", "series"]))
    if pooled:
        names += ["series"]
    config = TrainConfig(
        seed=settings.MODEL_SEED, n_trials=trials or settings.OPTUNA_TRIALS,
        time_budget=time_budget or settings.TRAIN_TIME_BUDGET, num_threads=settings.MODEL_NUM_THREADS,
        max_rounds=settings.MODEL_MAX_ROUNDS, n_folds=settings.MODEL_FOLDS,
        k=TOP50_LIST if layout_found == "top50-daily" else settings.EMERGING_LIST_SIZE,
    )  # fmt: skip
    label = ", ".join(sorted(parts))
    with Progress(f"evaluate {label}", total=config.n_trials, unit="trials") as bar, optuna_trials(bar):
        result = train_and_validate(
            examples, names, config, time_column="release_date" if snapshot else "as_of",
            gap_days=0 if snapshot else spec.horizon_days, hit_metric=spec.metric, series_column="series",
        )  # fmt: skip
    labelled = examples[examples["label"].notna()]
    report = {
        **result.report,
        "label": {**spec.describe(), "hit": spec.hit.rule()},
        "data": {
            "path": ", ".join(map(str, data)),
            "files": [str(p) for p in paths],
            "layout": layout_found,
            "series": sorted(parts),
            "examples": len(labelled),
            "tracks": tracks_count(examples),
        },  # fmt: skip
        "params": {**result.params, **result.fitted.describe()},
        "tuning": result.tuning,
    }
    report = json_safe(validated_report(report))
    Path(report_path).parent.mkdir(parents=True, exist_ok=True)
    Path(report_path).write_text(json.dumps(report, indent=1, default=str))
    for line in summary_lines(report):
        logger.info("%s", line)
    return dict(report)


def tracks_count(examples: pd.DataFrame) -> int:
    return int(examples["track_id"].nunique())


def evaluate_file(path: str | Path, **options: Any) -> dict[str, Any]:
    """One file (kept for callers of the single-file form)."""
    return evaluate_data([path], **options)


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
    ci = report["ci"]["pr_auc"]
    lines.append(
        f"PR-AUC model - {ci['against']}: {_fmt(ci['diff'])} [{_fmt(ci['lo'])}, {_fmt(ci['hi'])}] {ci['verdict']};"
        f" {report['positives']['tracks']} hit tracks; ECE {_fmt(report['calibration']['ece'])};"
        f" champion {report['champion']['name']}"
    )
    for name, series in report.get("per_series", {}).items():
        s = series["ci"]
        lines.append(
            f"  {name:30} {_fmt(s['diff'])} [{_fmt(s['lo'])}, {_fmt(s['hi'])}] {s['verdict']} vs {s['against']}"
        )
    return lines


def _fmt(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{value:.4f}"
