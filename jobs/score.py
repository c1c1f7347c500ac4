"""The score stage of a refresh run: the active model scores every tracked track on the snapshot date.

Its rows come from the features stage: in a refresh, the feature table it stored (`jobs.feature_table`, read
back as numpy with one binary COPY), else built here by `jobs.features.snapshot_features`; with `DASK_SCHEDULER`
set, the features and contributions are built per partition of artists on a Dask cluster instead
(`jobs.dask_scorer`).

For each track observed in the last week: the published hit probability (calibrated: Platt on the booster's
margin, or the blend, or, when a baseline is the champion, that baseline's probability, so the list is
ranked by it), from the booster's margin (`model.explain.published_probability`). Contributions in the same
calibrated log-odds (`published_scores`, TreeSHAP, 170-500x the cost of predict) are computed only for the tracks
a page can show (`jobs.shown_tracks`: the emerging lists, watchlisted tracks, tracks above the reasons floor,
capped); the other rows' `contributions` and `feature_values` are NULL ("not computed").
Feature importance is the one training stored with the model version (gain, and mean |contribution| on its
latest training rows), not per-refresh SHAP.
The frames are written by the aggregate stage (`jobs.aggregate.build_track_scores`, `build_feature_importance`)
inside the publication's transaction, so they appear in the same publication, atomically.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import date

import lightgbm as lgb
import numpy as np
import pandas as pd
from sqlalchemy import Connection

from core.hit_definition import HitDefinition
from jobs.feature_table import FeatureMatrix, feature_rows, read_feature_matrix
from jobs.features import SnapshotFeatures, snapshot_features, snapshot_frames
from jobs.model_inputs import score_names
from jobs.model_store import StoredModel
from jobs.shown_tracks import ReasonsPolicy, shown_tracks
from model.explain import (
    BIAS,
    calibrated_probability,
    contributions,
    feature_importance,
    is_baseline,
    model_matrix,
    published_probability,
    published_scores,
    signal_columns,
)

logger = logging.getLogger(__name__)


@dataclass
class Scored:
    scores: pd.DataFrame
    importance: pd.DataFrame
    model_version_id: int
    hit: HitDefinition  # the scoring model's definition: the publication is built with it


@dataclass
class Probabilities:
    """The score stage's output: the published probability and hit flag of every row, and the rows themselves
    (the stored matrix, read as numpy, or the features built here) for the explain stage."""

    model: StoredModel
    probability: np.ndarray
    is_hit: np.ndarray
    matrix: FeatureMatrix | None = None  # the stored set's numbers (its text is read by the explain stage)
    features: SnapshotFeatures | None = None  # rows built in this process (no stored set)
    raw: pd.DataFrame | None = None  # the Dask workers' contributions of every row

    def __len__(self) -> int:
        return len(self.probability)


def score_snapshot(
    *,
    conn: Connection,
    model: StoredModel,
    snapshot_date: date,
    reasons: ReasonsPolicy | None = None,
    dask_scheduler: str | None = None,
    feature_set_id: int | None = None,
) -> Scored:
    """Score the snapshot, then explain the tracks a page can show: the score stage (`score_rows`) and the
    explain stage (`explain`) one after the other, as a refresh runs them."""
    scoring = score_rows(conn=conn, model=model, snapshot_date=snapshot_date, dask_scheduler=dask_scheduler,
                         feature_set_id=feature_set_id)  # fmt: skip
    return explain(conn=conn, scoring=scoring, reasons=reasons)


@dataclass(frozen=True)
class ModelInput:
    """A stored set in the active model's form (`model_input_for`): its float matrix in the booster's feature
    order, the genre coded as LightGBM codes a pandas categorical (`model.explain.model_matrix`; None for a
    baseline champion, or categories the matrix cannot code, which then predict on the frame), and the
    calibration's signal columns. The features stage of a run builds it for the score stage."""

    matrix: FeatureMatrix
    numbers: np.ndarray | None
    signals: pd.DataFrame


def model_input_for(model: StoredModel, matrix: FeatureMatrix) -> ModelInput:
    champion = (model.metrics or {}).get("champion")
    signals = matrix.frame(signal_columns(model.params, champion))
    if is_baseline(champion):
        return ModelInput(matrix, None, signals)
    booster = booster_from_text(model.model_text)
    return ModelInput(matrix, model_matrix(booster, matrix.numbers, matrix.columns, matrix.categorical()), signals)


def score_rows(
    *,
    conn: Connection,
    model: StoredModel,
    snapshot_date: date,
    dask_scheduler: str | None = None,
    feature_set_id: int | None = None,
    prepared: ModelInput | None = None,
) -> Probabilities:
    """The score stage: the published probability of every row. On the stored feature set `feature_set_id`
    (the features stage's) it is one `predict` on the model's float matrix and a vectorised calibration: no
    text, no pandas rows. `prepared`: that matrix when the caller has it (the features stage of the same run
    built it from the set it just stored); else the set is read with one binary COPY (`read_feature_matrix`)
    and put in the model's form here. Without a set: on features built here from the model inputs, or on the
    Dask cluster (which computes every row's contributions too)."""
    if feature_set_id is not None:
        if prepared is None or prepared.matrix.feature_set_id != feature_set_id:
            prepared = model_input_for(model, read_feature_matrix(conn=conn, feature_set_id=feature_set_id))
        scored = score_prepared(model, prepared)
        if scored is not None:
            return scored
        # categorical features the matrix cannot code as LightGBM would: predict on the frame
        matrix = prepared.matrix
        probability = published_probability(booster_from_text(model.model_text), model.params,
                                             (model.metrics or {}).get("champion"),
                                             feature_rows(conn=conn, matrix=matrix).rows)  # fmt: skip
        return Probabilities(model, probability, matrix.is_hit.astype(bool), matrix=matrix)
    booster = booster_from_text(model.model_text)
    champion = (model.metrics or {}).get("champion")
    metric, threshold = model.hit.metric, model.hit.threshold
    if dask_scheduler:
        from jobs.dask_scorer import DaskScorer

        frames = snapshot_frames(conn=conn, day=snapshot_date, hit_metric=metric)
        done = DaskScorer(dask_scheduler)(frames, booster, pd.Timestamp(snapshot_date), metric=metric,
                                          threshold=threshold)  # fmt: skip
        features = SnapshotFeatures(done.current, pd.Series(done.is_hit))
        probability = published_probability(booster, model.params, champion, done.current)
        return Probabilities(model, probability, np.asarray(done.is_hit, dtype=bool), features=features, raw=done.raw)
    features = snapshot_features(conn=conn, day=snapshot_date, hit_metric=metric, hit_threshold=threshold)
    probability = published_probability(booster, model.params, champion, features.rows)
    return Probabilities(model, probability, features.is_hit.to_numpy(dtype=bool), features=features)


def score_prepared(model: StoredModel, prepared: ModelInput) -> Probabilities | None:
    """The score stage on a set already in the model's form (`model_input_for`): one `predict` on its float
    matrix and the vectorised calibration, or a baseline champion's signal; no SQL, so a run's score stage
    given the features stage's set opens no connection. None when the matrix cannot code the booster's
    categories (`prepared.numbers` is None): `score_rows` then predicts on the set's frame."""
    matrix, numbers = prepared.matrix, prepared.numbers
    champion = (model.metrics or {}).get("champion")
    if is_baseline(champion):  # the list is ranked by one signal: no booster
        probability = published_probability(booster_from_text(model.model_text), model.params, champion,
                                            prepared.signals)  # fmt: skip
    elif numbers is None:
        return None
    else:
        margin = booster_from_text(model.model_text).predict(numbers, raw_score=True) if len(numbers) else np.zeros(0)
        probability = calibrated_probability(np.asarray(margin), model.params, prepared.signals)
    return Probabilities(model, probability, matrix.is_hit.astype(bool), matrix=matrix)


def explain(*, conn: Connection, scoring: Probabilities, reasons: ReasonsPolicy | None = None) -> Scored:
    """The explain stage: contributions (TreeSHAP, in the calibrated log-odds: `published_scores`) and the
    values the model saw, for the tracks a page can show (`shown_tracks`) only, and the published frame of
    every scored row with its names (for a stored set, its text is read here: the score stage needs none)."""
    model = scoring.model
    booster = booster_from_text(model.model_text)
    champion = (model.metrics or {}).get("champion")
    metric = model.hit.metric
    features = scoring.features
    if features is None:
        assert scoring.matrix is not None
        features = feature_rows(conn=conn, matrix=scoring.matrix)
    current, probability, raw = features.rows, scoring.probability, scoring.raw
    candidates = pd.DataFrame({"track_id": current["track_id"], "genre": current["genre"], "is_hit": scoring.is_hit,
                               "probability": probability})  # fmt: skip
    shown = shown_tracks(conn=conn, scores=candidates, policy=reasons or ReasonsPolicy())
    listed = current.loc[shown]
    listed_raw = None if raw is None else raw.iloc[np.flatnonzero(shown)]
    _, contrib = published_scores(booster, model.params, champion, listed, raw=listed_raw)
    contribution_json: list[str | None] = [None] * len(current)
    value_json: list[str | None] = [None] * len(current)
    for i, c, v in zip(np.flatnonzero(shown), _contribution_json(contrib),
                       _value_json(listed, [c for c in contrib.columns if c != BIAS]), strict=True):  # fmt: skip
        contribution_json[i], value_json[i] = c, v
    names = features.names
    if names is None:
        names = score_names(conn=conn, track_ids=current["track_id"])
    scores = pd.DataFrame(
        {
            "track_id": current["track_id"],
            "name": names["name"].to_numpy(),
            "artist_id": current["artist_id"],
            "artist_name": names["artist_name"].to_numpy(),
            "genre": current["genre"].astype(str),
            "release_date": current["release_date"].dt.date,
            "days_since_release": current["days_since_release"].round().astype("Int64"),
            "popularity": current.get(f"track_{metric}"),
            "momentum_7d": current.get(f"track_{metric}_7d"),
            "is_hit": scoring.is_hit,
            "probability": probability,
            "contributions": contribution_json,
            "feature_values": value_json,
            "model_version_id": model.model_version_id,
        }
    )
    importance = stored_importance(model, booster, listed)
    ranked_by = (champion or {}).get("name", "model")
    logger.info("scored %d tracks with model %s (list ranked by %s), contributions for %d shown",
                len(scores), model.model_version_id, ranked_by, int(shown.sum()))  # fmt: skip
    return Scored(scores, importance, model.model_version_id, model.hit)


@functools.lru_cache(maxsize=2)
def booster_from_text(model_text: str) -> lgb.Booster:
    """The booster of a stored model string, parsed once per process (a version's text never changes; the
    worker scores every run with the same one)."""
    return lgb.Booster(model_str=model_text)


def stored_importance(model: StoredModel, booster: lgb.Booster, listed: pd.DataFrame) -> pd.DataFrame:
    """The importance training stored with the model version; for a version stored without it, the booster's
    gain and its mean |contribution| over the shown rows."""
    stored = pd.DataFrame(model.feature_importance or [])
    if {"feature", "gain", "mean_abs_contribution"}.issubset(stored.columns):
        return stored[["feature", "gain", "mean_abs_contribution"]].reset_index(drop=True)
    return feature_importance(booster, contributions(booster, listed))


def _contribution_json(contrib: pd.DataFrame) -> list[str]:
    """One JSON object per row: {feature: contribution} plus the bias, rounded to 6 decimals."""
    values = np.round(contrib.to_numpy(), 6)
    columns = list(contrib.columns)
    return [json.dumps(dict(zip(columns, row, strict=True))) for row in values.tolist()]


def _value_json(rows: pd.DataFrame, features: list[str]) -> list[str]:
    """One JSON object per row: {feature: the value the model saw}, so pages can give reasons with values.
    Numbers are rounded to 4 decimals, categories become text, missing values null (`plain_value`, applied
    column by column on plain lists: no per-row pandas)."""
    present = [f for f in features if f in rows.columns]
    columns = [_plain_column(rows[f]) for f in present]
    return [json.dumps(dict(zip(present, values, strict=True))) for values in zip(*columns, strict=True)]


def _plain_column(values: pd.Series) -> list[float | str | None]:
    """`plain_value` of every value of one column; numbers (and booleans) rounded by numpy at once (as the
    contributions are: the same 4 decimals, where Python's `round` cost 1 us a value)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        numbers = np.round(values.to_numpy(dtype=float, na_value=np.nan), 4).tolist()
        return [None if number != number else number for number in numbers]
    return [plain_value(value) for value in values.tolist()]


def plain_value(value: object) -> float | str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return round(float(value), 4)
    return str(value)


__all__ = ["BIAS", "Probabilities", "Scored", "explain", "score_prepared", "score_rows", "score_snapshot"]
