"""The features stage of a refresh: the rows the active model scores on one snapshot date.

`snapshot_features` reads the model inputs of the last `HISTORY_DAYS` (`jobs.model_inputs`) and builds one
feature row per track observed in the last week (`model.features.build_features`), with whether the track is
a hit on the day (`model.labels.history_labels`). The on-demand lookup builds its first-sight rows from the same
window (`snapshot_context`). In a refresh the rows are stored in the feature table (`jobs.feature_table`,
the features stage) and the score stage (`jobs.score`) applies the model to them as read back from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection

from jobs.model_inputs import read_model_frames, score_names
from jobs.observation_frames import observation_panels
from model.features import FeatureContext, build_features
from model.frames import ModelFrames
from model.labels import history_labels
from model.panels import observed_ids

HISTORY_DAYS = 35  # 28-day growth plus a week of staleness


@dataclass
class SnapshotFeatures:
    """What is scored, without the context it was built from: at 1M tracks the context's panels and catalogue
    frames are ~500 MB, freed before the rows are named and stored."""

    rows: pd.DataFrame  # one row per scored track, index 0..n-1
    is_hit: pd.Series  # aligned with `rows`: the track is a hit on the day
    names: pd.DataFrame | None = None  # aligned with `rows`: `name` and `artist_name` (`jobs.model_inputs.score_names`)


def snapshot_frames(*, conn: Connection, day: date, hit_metric: str) -> ModelFrames:
    """The model inputs of the `HISTORY_DAYS` up to `day`."""
    return read_model_frames(conn=conn, first=day - timedelta(days=HISTORY_DAYS), last=day, hit_metric=hit_metric)


def snapshot_context(*, conn: Connection, day: date, hit_metric: str, observed_audio: bool = False) -> FeatureContext:
    """The feature context of the `HISTORY_DAYS` up to `day`: the observations read straight into panels
    (`jobs.observation_frames.observation_panels`; its frame holds none), else (several sources) from the frame.
    `observed_audio`: the audio features of the tracks the panels observe only (all history rows need: not the
    first-sight rows of an unobserved track, `jobs.lookup`)."""
    first, until = day - timedelta(days=HISTORY_DAYS), pd.Timestamp(day)
    panels = observation_panels(conn=conn, first=first, last=day, until=until)
    if panels is None:
        return FeatureContext.build(snapshot_frames(conn=conn, day=day, hit_metric=hit_metric), until=until)
    audio_of = None
    if observed_audio:
        audio_of = [str(track_id) for track_id in observed_ids(panels.track)]
    frames = read_model_frames(
        conn=conn, first=first, last=day, hit_metric=hit_metric, observations=False, audio_of=audio_of
    ).normalised()
    return FeatureContext.with_panels(frames, panels.start, panels.n_days, panels.track, panels.artist)


def features_on(
    ctx: FeatureContext, day: date | pd.Timestamp, *, hit_metric: str, hit_threshold: float
) -> SnapshotFeatures:
    """The feature rows of every track to score on `day` from a context (the whole market's, or one partition's
    of artists on a Dask worker), and whether each is a hit on the day."""
    rows = build_features(ctx, [pd.Timestamp(day)], hit_metric=hit_metric, hit_threshold=hit_threshold)
    rows = rows.reset_index(drop=True)
    labels = history_labels(ctx, rows, metric=hit_metric, threshold=hit_threshold, horizon_days=1)
    return SnapshotFeatures(rows, labels["is_hit_now"])


def snapshot_features(*, conn: Connection, day: date, hit_metric: str, hit_threshold: float) -> SnapshotFeatures:
    """The feature rows of every track to score on `day`, whether each is a hit on the day, and their names."""
    ctx = snapshot_context(conn=conn, day=day, hit_metric=hit_metric, observed_audio=True)
    features = features_on(ctx, day, hit_metric=hit_metric, hit_threshold=hit_threshold)
    del ctx  # the rows are built: the panels and catalogue frames go before the names are read and stored
    features.names = score_names(conn=conn, track_ids=features.rows["track_id"])
    return features
