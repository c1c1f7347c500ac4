"""The feature table (`jobs.feature_table`, migration 0018) against the features built in memory by the one
definition training uses (`jobs.features.snapshot_features` -> `model.features.build_features`), on a tiny demo
world and a booster trained on its own features (every column, the genre categorical, a Platt calibration):

- a stored set reads back as the same rows, hit flags and names;
- the score stage on the stored set publishes the same probabilities (to 1e-9) and the same frame as on the
  features built in memory;
- a refresh stores the set, a run that loads nothing reuses it, and a run whose score stage fails leaves the
  last publication serving;
- the score stage on the set the features stage hands over (`score_prepared`) runs no SQL.

    python -m pytest tests/test_feature_table.py -q
"""

from __future__ import annotations

import json
from datetime import timedelta

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from jobs import score
from jobs.errors import RunFailed
from jobs.feature_table import read_feature_matrix, read_feature_set, stored_features, write_feature_set
from jobs.features import snapshot_features
from jobs.load import load_batch
from jobs.lock import exclusive_run
from jobs.model_inputs import read_model_frames
from jobs.model_store import active_model
from jobs.pipeline import refresh
from model.features import build_features, feature_names
from tests.factories import DAY, config, tiny_source

HISTORY_DAYS = 40
CALIBRATION = {"a": 0.9, "b": -0.4, "method": "platt", "fitted_on": "inner forward split"}
THRESHOLD = 60.0


def _load(engine: Engine, first, last) -> None:  # type: ignore[no-untyped-def]
    for batch in tiny_source().extract_range(first, last):
        with engine.begin() as conn:
            load_batch(conn=conn, batch=batch, run_id=None)


def _activate_model(engine: Engine) -> None:
    """A booster trained on the world's own weekly feature rows (label: a noisy mix of several features)."""
    with engine.connect() as conn:
        frames = read_model_frames(conn=conn, first=DAY - timedelta(days=HISTORY_DAYS), last=DAY,
                                   hit_metric="spotify_popularity")  # fmt: skip
    dates = [pd.Timestamp(DAY - timedelta(days=d)) for d in (21, 14, 7, 0)]
    rows = build_features(frames, dates, hit_metric="spotify_popularity", hit_threshold=THRESHOLD)
    names = feature_names(rows)
    rng = np.random.default_rng(5)
    signal = rows[names].select_dtypes("number").fillna(0).rank(pct=True).mean(axis=1).to_numpy()
    label = (signal + rng.normal(0, 0.1, len(rows)) > np.median(signal)).astype(int)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(rows[names], label), num_boost_round=30)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO model_versions (is_active, promoted, label, params, metrics, data_window,"
                 " feature_names, model_text) VALUES (true, true, CAST(:label AS jsonb), CAST(:params AS jsonb),"
                 " '{}', '{}', CAST(:names AS jsonb), :text)"),
            {"label": json.dumps({"metric": "spotify_popularity", "threshold": THRESHOLD, "horizon_days": 28}),
             "params": json.dumps({"calibration": CALIBRATION}), "names": json.dumps(names),
             "text": booster.model_to_string()},
        )  # fmt: skip


@pytest.fixture
def world(clean_db: Engine) -> Engine:
    _load(clean_db, DAY - timedelta(days=HISTORY_DAYS), DAY)
    _activate_model(clean_db)
    return clean_db


def test_a_stored_set_reads_back_as_the_rows_built_in_memory(world: Engine) -> None:
    with world.begin() as conn:
        built = snapshot_features(conn=conn, day=DAY, hit_metric="spotify_popularity", hit_threshold=THRESHOLD)
        model = active_model(conn=conn)
        assert model is not None
        set_id = write_feature_set(conn=conn, features=built, day=DAY, hit=model.hit, run_id=None).feature_set_id
        back = read_feature_set(conn=conn, feature_set_id=set_id)
    assert len(built.rows) > 50 and built.is_hit.any() and built.rows["genre"].notna().all()
    assert built.names is not None and back.names is not None
    pd.testing.assert_frame_equal(back.rows, built.rows, check_like=True, check_exact=True)
    np.testing.assert_array_equal(back.is_hit.to_numpy(), built.is_hit.to_numpy())
    pd.testing.assert_frame_equal(back.names, built.names)


def test_scores_on_the_stored_set_equal_scores_on_features_built_in_memory(world: Engine) -> None:
    with world.begin() as conn:
        model = active_model(conn=conn)
        assert model is not None
        stored = stored_features(conn=conn, day=DAY, hit=model.hit, changed=True, run_id=None)
        set_id, built = stored.feature_set_id, stored.built
        from_table = score.score_snapshot(conn=conn, model=model, snapshot_date=DAY, feature_set_id=set_id)
        assert stored.matrix is not None
        handed = score.score_rows(conn=conn, model=model, snapshot_date=DAY, feature_set_id=set_id,
                                  prepared=score.model_input_for(model, stored.matrix))  # fmt: skip
        read = read_feature_matrix(conn=conn, feature_set_id=set_id)
        in_memory = score.score_snapshot(conn=conn, model=model, snapshot_date=DAY)
    assert stored.matrix is not None and handed.matrix is stored.matrix  # predicted on what the features stage kept
    in_run = score.score_prepared(model, score.model_input_for(model, stored.matrix))  # the run's call: no SQL
    assert in_run is not None
    np.testing.assert_array_equal(in_run.probability, handed.probability)
    np.testing.assert_array_equal(in_run.is_hit, handed.is_hit)
    for field in ("columns", "genres", "is_hit", "genre", "numbers"):  # what it kept is what a read gives back
        np.testing.assert_array_equal(getattr(stored.matrix, field), getattr(read, field))
    np.testing.assert_array_equal(handed.probability, from_table.scores["probability"].to_numpy())
    new, old = from_table.scores, in_memory.scores
    assert built == len(old) and old["probability"].std() > 0.01
    assert np.max(np.abs(new["probability"].to_numpy() - old["probability"].to_numpy())) <= 1e-9
    pd.testing.assert_frame_equal(new, old)  # names, flags, contributions and the values the pages show


def _stages(engine: Engine, run_id: int) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        stages = conn.execute(text("SELECT stages FROM job_runs WHERE run_id = :r"), {"r": run_id}).scalar_one()
        counts = conn.execute(text("SELECT row_counts FROM job_runs WHERE run_id = :r"), {"r": run_id}).scalar_one()
    return {s["stage"]: {**s, **counts} for s in stages}


def test_a_refresh_stores_the_set_reuses_it_when_nothing_loaded_and_a_failure_keeps_the_publication(
    world: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with exclusive_run(world):
        first = refresh(world, tiny_source(), snapshot_date=DAY, trigger="cli", requested_by="t", config=config())
        again = refresh(world, tiny_source(), snapshot_date=DAY, trigger="cli", requested_by="t", config=config())
    built, reused = _stages(world, first.run_id)["feature_table"], _stages(world, again.run_id)["feature_table"]
    assert built["feature_sets_reused"] == 0 and int(built["rows_out"]) > 50  # type: ignore[call-overload]
    assert reused["feature_sets_reused"] == 1 and reused["rows_out"] == 0

    def broken(**_kwargs: object) -> None:
        raise RuntimeError("feature table unreadable")

    monkeypatch.setattr(score, "read_feature_matrix", broken)
    with exclusive_run(world), pytest.raises(RunFailed, match="unreadable"):
        refresh(world, tiny_source(), snapshot_date=DAY, trigger="cli", requested_by="t", config=config())
    with world.connect() as conn:
        latest = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one()
        status = conn.execute(text("SELECT status FROM job_runs ORDER BY run_id DESC LIMIT 1")).scalar_one()
    assert latest == first.publication_id and status == "failed"


def test_the_score_stage_on_the_set_the_features_stage_hands_over_runs_no_sql(
    world: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh that builds its set scores it with `score_prepared`: no `score_rows`, so no connection."""
    from jobs import pipeline

    real = pipeline.stored_features

    def rebuilt(**kwargs: object) -> object:  # the set is built (and handed over) even if one is stored
        return real(**{**kwargs, "changed": True})  # type: ignore[arg-type]

    def no_sql(**_kwargs: object) -> None:
        raise AssertionError("the score stage went to the database for a set it was handed")

    monkeypatch.setattr(pipeline, "stored_features", rebuilt)
    monkeypatch.setattr(pipeline, "score_rows", no_sql)
    with exclusive_run(world):
        outcome = refresh(world, tiny_source(), snapshot_date=DAY, trigger="cli", requested_by="t", config=config())
    stages = _stages(world, outcome.run_id)
    assert stages["feature_table"]["feature_sets_reused"] == 0 and int(stages["score"]["rows_out"]) > 50  # type: ignore[call-overload]
