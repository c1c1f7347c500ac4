"""Train, validate, store and (maybe) promote a hit model from the snapshots in PostgreSQL.

    python -m jobs train [--time-budget SECONDS] [--trials N]

Reads the last `MODEL_TRAIN_DAYS` of observations, builds labelled examples (a date every
`MODEL_STEP_DAYS`), tunes LightGBM with Optuna (study stored in PostgreSQL, schema `optuna`), validates it
forward on rolling origins against the baselines and the active model, trains the first-sight model for lookups
beside it (`model.first_sight_train`, same protocol, stored with the version), stores the version with its params
(calibration, blend), metrics (the `core.model_report` schema), data window and feature importance, and makes
it active only if its interval's lower bound beats both the best baseline and the active model
(`model.promote`). A young install gets "not enough history: N days, need M" and a non-zero exit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from core.settings import Settings
from jobs.errors import DataQualityError
from jobs.model_inputs import observed_range, read_model_frames
from jobs.model_store import (
    active_model,
    ensure_optuna_schema,
    optuna_storage_url,
    record_promotion,
    save_version,
)
from jobs.progress import optuna_trials
from jobs.runs import RunRecorder, recorded_run
from model.examples import LabelSpec, build_examples, min_history_days
from model.explain import contributions, feature_importance
from model.features import FeatureContext, feature_names
from model.first_sight_train import train_first_sight
from model.folds import SELECTION_ORIGINS
from model.promote import decide
from model.train import TrainConfig, TrainResult, train_and_validate

logger = logging.getLogger(__name__)
LABEL_COLUMNS = ["is_hit_now", "label"]


@dataclass(frozen=True)
class TrainPlan:
    spec: LabelSpec
    config: TrainConfig
    train_days: int

    @classmethod
    def from_settings(
        cls, settings: Settings, *, time_budget: float | None = None, trials: int | None = None
    ) -> TrainPlan:
        spec = LabelSpec(
            metric=settings.HIT_METRIC, threshold=settings.HIT_THRESHOLD,
            horizon_days=settings.HIT_HORIZON_DAYS, step_days=settings.MODEL_STEP_DAYS,
        )  # fmt: skip
        config = TrainConfig(
            seed=settings.MODEL_SEED, n_trials=trials or settings.OPTUNA_TRIALS,
            time_budget=time_budget or settings.TRAIN_TIME_BUDGET, num_threads=settings.MODEL_NUM_THREADS,
            max_rounds=settings.MODEL_MAX_ROUNDS, n_folds=settings.MODEL_FOLDS, k=settings.EMERGING_LIST_SIZE,
            dask_scheduler=settings.DASK_SCHEDULER,
        )  # fmt: skip
        return cls(spec, config, settings.MODEL_TRAIN_DAYS)


@dataclass
class TrainOutcome:
    run_id: int
    model_version_id: int
    promoted: bool
    note: str
    report: dict[str, Any]


def _comparable(active_label: dict[str, Any], spec: LabelSpec) -> bool:
    mine = spec.describe()
    return all(active_label.get(key) == mine[key] for key in ("metric", "threshold", "horizon_days", "mode"))


def train_model(
    engine: Engine,
    plan: TrainPlan,
    *,
    trigger: str,
    requested_by: str | None,
    database_url: str | None = None,
) -> TrainOutcome:
    """One training run, recorded in `job_runs` (kind 'train'). The caller holds the run lock."""
    with recorded_run(
        engine, kind="train", trigger=trigger, source="model", snapshot_date=None, requested_by=requested_by
    ) as recorder:
        return _train(engine, plan, recorder, database_url)
    raise AssertionError("unreachable")  # recorded_run re-raises every failure


def _train(engine: Engine, plan: TrainPlan, recorder: RunRecorder, database_url: str | None) -> TrainOutcome:
    spec, config = plan.spec, plan.config
    with recorder.stage("read") as stage, engine.begin() as conn:
        first_seen, last = observed_range(conn=conn, metric=spec.metric)
        if last is None or first_seen is None:
            raise DataQualityError(f"no track observations of {spec.metric!r}: load snapshots first")
        first = max(first_seen, last - timedelta(days=plan.train_days - 1))
        days, need = (last - first).days + 1, min_history_days(spec, config.n_folds)
        if days < need:
            raise DataQualityError(
                f"not enough history: {days} days, need {need} (a {spec.horizon_days}-day horizon and"
                f" {config.n_folds} + {SELECTION_ORIGINS} forward origins): backfill more days"
            )
        frames = read_model_frames(conn=conn, first=first, last=last, hit_metric=spec.metric)
        active = active_model(conn=conn)
        if database_url:
            ensure_optuna_schema(conn=conn)
        stage.rows_out = len(frames.observations)
    with recorder.stage("features") as stage:
        ctx = FeatureContext.build(frames)
        examples = build_examples(ctx, spec)
        names = feature_names(examples.drop(columns=LABEL_COLUMNS))
        stage.rows_out = int(examples["label"].notna().sum())
        stage.counts = {"examples": len(examples), "positives": int(np.nansum(examples["label"]))}
    incumbent = None
    if active is not None and _comparable(active.label, spec):
        incumbent = (active.params, active.feature_names)
    if database_url:
        # Run ids restart when a database is reset, while the optuna schema keeps its studies: add a suffix.
        study = f"hitscope-run-{recorder.run_id}-{uuid.uuid4().hex[:8]}"
        config = replace(config, storage=optuna_storage_url(database_url), study_name=study)
    with (
        recorder.stage("tune_validate") as stage,
        recorder.progress(f"tuning (budget {config.time_budget:.0f} s)", total=config.n_trials, unit="trials") as bar,
        optuna_trials(bar),
    ):
        try:
            result = train_and_validate(
                examples, names, config, time_column="as_of", gap_days=spec.horizon_days,
                hit_metric=spec.metric, incumbent=incumbent,
            )  # fmt: skip
        except ValueError as error:
            raise DataQualityError(f"{error} ({days} days of history read): backfill more days") from error
        stage.rows_in = stage.rows_out = int(examples["label"].notna().sum())
        stage.counts = {"trials": result.n_trials}
    with recorder.stage("first_sight") as stage:
        first_sight = train_first_sight(ctx, examples, spec, config)
        stage.rows_out = int((first_sight.report.get("positives") or {}).get("test_rows", 0))
    latest = examples[examples["as_of"] == examples["as_of"].max()]
    importance = feature_importance(result.booster, contributions(result.booster, latest[names]))
    report = {**result.report, "tuning": result.tuning, "first_sight": first_sight.report}
    decision = decide(report, has_active=incumbent is not None)
    if active is not None and incumbent is None:
        decision = replace(decision, note=f"{decision.note} (the active model predicts another label)")
    params = {**result.params, **result.fitted.describe()}
    with engine.begin() as conn:
        version = save_version(
            conn=conn, run_id=recorder.run_id, label=spec.describe(), params=params, metrics=report,
            data_window=_window(examples, result), feature_names=names,
            feature_importance=importance.to_dict("records"), model_text=result.booster.model_to_string(),
            first_sight=first_sight.stored(),
        )  # fmt: skip
        record_promotion(conn=conn, model_version_id=version, promoted=decision.promote, note=decision.note)
    logger.info("model version %s: %s", version, decision.note)
    return TrainOutcome(recorder.run_id, version, decision.promote, decision.note, report)


def _window(examples: Any, result: TrainResult) -> dict[str, Any]:
    """The final model trains on every labelled row; its evaluation covered the rolling origins' blocks."""
    folds = result.report["folds"]
    labelled = examples[examples["label"].notna()]
    return {
        "train_from": str(labelled["as_of"].min().date()), "train_to": str(labelled["as_of"].max().date()),
        "test_from": folds[0]["test_from"], "test_to": folds[-1]["test_to"], "origins": len(folds),
        "n_train": int(len(labelled)), "n_test": int(result.report["n_test"]),
    }  # fmt: skip
