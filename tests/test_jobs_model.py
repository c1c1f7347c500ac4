"""The model inside the product: train from PostgreSQL, store and promote versions, score in a refresh run."""

from __future__ import annotations

import importlib
import json
from datetime import date

import numpy as np
import pytest
from sqlalchemy import Engine, text

from core.hit_definition import HitDefinition
from jobs.pipeline import NO_MODEL_WARNING, RunConfig, backfill, refresh
from jobs.shown_tracks import ReasonsPolicy
from jobs.sources.demo import DemoSource
from jobs.train import TrainPlan, train_model
from model.examples import LabelSpec
from model.explain import BIAS, logit
from model.train import TrainConfig
from tests.dashboard_support import dash_app, dashboard_database

END = date(2025, 6, 30)
PLAN = TrainPlan(
    spec=LabelSpec(HitDefinition("spotify_popularity", 55, 28), step_days=7),
    config=TrainConfig(n_trials=2, time_budget=600, max_rounds=30, k=10, n_boot=200),
    train_days=170,
)


def _train(engine: Engine) -> object:
    url = engine.url.render_as_string(hide_password=False)
    return train_model(engine, PLAN, trigger="cli", requested_by="test", database_url=url)


@pytest.mark.timeout(600)
def test_train_promote_and_score_in_a_refresh(clean_db: Engine, database_url: str) -> None:
    engine = clean_db
    source = DemoSource(seed=7, n_artists=150, start=date(2023, 1, 1))
    config = RunConfig(hit_threshold=55)
    first = backfill(engine, source, end_date=END, days=170, trigger="cli", requested_by="test", config=config)
    assert NO_MODEL_WARNING in first.warnings

    trained = _train(engine)
    assert trained.promoted, trained.note
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT is_active, metrics, data_window, feature_importance FROM model_versions")
        ).one()
    assert stored.is_active and {"forward", "folds", "baselines", "random_split"} <= set(stored.metrics)
    tuning = stored.metrics["tuning"]  # this small market holds too few positives to tune on: fixed parameters
    assert tuning["positives"] < 50 and tuning["mode"].startswith("fixed") and tuning["n_trials"] == 0
    assert len(stored.metrics["folds"]) == 6 and stored.metrics["champion"]["kind"] in ("model", "baseline")
    assert stored.data_window["n_test"] > 0 and stored.feature_importance

    # Same data, same seed: the candidate only ties the active model on the holdout, so it stays inactive.
    again = _train(engine)
    assert not again.promoted and "does not beat" in again.note
    with engine.connect() as conn:
        active = conn.execute(text("SELECT model_version_id FROM model_versions WHERE is_active")).scalar()
    assert active == trained.model_version_id

    outcome = refresh(engine, source, snapshot_date=date(2025, 7, 1), trigger="cli", requested_by="test", config=config)
    assert NO_MODEL_WARNING not in outcome.warnings
    with engine.connect() as conn:
        scores = conn.execute(
            text(
                "SELECT track_id, probability, contributions, feature_values, is_hit, model_version_id"
                " FROM agg_track_scores WHERE publication_id = :pid"
            ),
            {"pid": outcome.publication_id},
        ).all()
        n_importance = conn.execute(
            text("SELECT count(*) FROM agg_feature_importance WHERE publication_id = :pid"),
            {"pid": outcome.publication_id},
        ).scalar()
    assert len(scores) > 50
    assert {row.model_version_id for row in scores} == {trained.model_version_id}
    assert n_importance == len(stored.feature_importance)
    # Contributions only for the tracks a page can show: here every track at or above the reasons floor (the
    # cap is not reached) and the emerging list; the others keep their probability, their reasons NULL.
    explained = [row for row in scores if row.contributions is not None]
    assert explained and len(explained) < len(scores)
    floor = ReasonsPolicy().floor  # the default floor is the list's, and nobody watches a track here
    assert {row.track_id for row in explained} == {row.track_id for row in scores if row.probability >= floor}
    assert all(row.feature_values is None for row in scores if row.contributions is None)
    totals = np.array([sum(row.contributions.values()) for row in explained])
    assert all(BIAS in row.contributions for row in explained)
    np.testing.assert_allclose(totals, logit(np.array([row.probability for row in explained])), atol=1e-4)
    with engine.connect() as conn:
        importance = conn.execute(
            text("SELECT feature, gain FROM agg_feature_importance WHERE publication_id = :pid ORDER BY feature"),
            {"pid": outcome.publication_id},
        ).all()
    stored_gain = {item["feature"]: item["gain"] for item in stored.feature_importance}
    assert {f: pytest.approx(g) for f, g in importance} == stored_gain  # from training, not per-refresh SHAP

    # The Model page renders this really trained model: its verdict with intervals, the trainer's own baselines.
    with dashboard_database(database_url):
        dash_app()
        page = importlib.import_module("dashboard.pages.model")
        alert, _summary, verdict, metric_rows, *_figures, versions = page.render_model(None)
    words = repr(verdict)
    assert alert is None and "retrain to see its verdict" not in words and "95%" in words, words[:500]
    shown = " ".join(str(row) for row in metric_rows)
    assert all(name in shown for name in stored.metrics["baselines"]), (list(stored.metrics["baselines"]), shown)
    assert len(versions) == 2

    # Nothing changed and the model is the same: the run does not republish.
    repeat = refresh(engine, source, snapshot_date=date(2025, 7, 1), trigger="cli", requested_by="test", config=config)
    assert repeat.publication_id == outcome.publication_id
    assert json.dumps(repeat.loaded) and sum(repeat.loaded.values()) == 0

    # A young install (no tracked history a horizon ago) still scores.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM observations WHERE observed_on < '2025-06-25'"))
    young = refresh(engine, source, snapshot_date=date(2025, 7, 2), trigger="cli", requested_by="test", config=config)
    with engine.connect() as conn:
        scored = conn.execute(
            text("SELECT count(*) FROM agg_track_scores WHERE publication_id = :pid"), {"pid": young.publication_id}
        ).scalar_one()
        columns = set(conn.execute(text(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'agg_track_scores'::regclass AND attnum > 0"
            " AND NOT attisdropped"
        )).scalars())  # fmt: skip
    assert scored > 0
    assert "expected_gap" not in columns and "probability" in columns  # the in-sample fit's column is gone

    # The settings change after training: the publication keeps the scoring model's definition, so Seasonality
    # counts hits exactly as the scores predict them (55), not as the new setting (90) would.
    changed = RunConfig(hit_threshold=90)
    later = refresh(engine, source, snapshot_date=date(2025, 7, 3), trigger="cli", requested_by="test", config=changed)
    with engine.connect() as conn:
        stored_hit = conn.execute(
            text("SELECT hit_definition FROM publications WHERE publication_id = :pid"), {"pid": later.publication_id}
        ).scalar()
        model_hit = conn.execute(text("SELECT hit_definition FROM model_versions WHERE is_active")).scalar()
        seasonal = conn.execute(
            text("SELECT sum(n_hits) FROM agg_seasonality WHERE publication_id = :pid"), {"pid": later.publication_id}
        ).scalar()
        expected = {threshold: _closed_hits(conn, date(2025, 7, 3), threshold) for threshold in (55, 90)}
    assert stored_hit == model_hit == {"metric": "spotify_popularity", "threshold": 55.0, "horizon_days": 28}
    assert expected[55] != expected[90] and seasonal == expected[55]


def _closed_hits(conn: object, day: date, threshold: float) -> int:
    """Tracks Seasonality counts as hits, computed directly: precise release a horizon ago, peak >= threshold."""
    return int(
        conn.execute(  # type: ignore[attr-defined]
            text(
                "SELECT count(*) FROM tracks t JOIN (SELECT entity_id, max(value) AS peak FROM raw_observations"
                "  WHERE entity_type = 'track' AND metric = 'spotify_popularity' AND observed_on <= :day"
                "  GROUP BY entity_id) p ON p.entity_id = t.track_id"
                " WHERE t.release_date_precision IN ('day', 'month') AND t.release_date <= CAST(:day AS date) - 28"
                " AND p.peak >= :threshold"
            ),
            {"day": day, "threshold": threshold},
        ).scalar()
    )


@pytest.mark.timeout(600)
def test_a_queued_train_request_trains_through_the_worker(clean_db: Engine) -> None:
    from core.queue import enqueue_request
    from core.settings import Settings
    from jobs import tasks

    source = DemoSource(seed=7, n_artists=150, start=date(2023, 1, 1))
    backfill(clean_db, source, end_date=END, days=170, trigger="cli", requested_by="test", config=RunConfig())
    settings = Settings(
        HIT_THRESHOLD=55, MODEL_TRAIN_DAYS=170, OPTUNA_TRIALS=1, MODEL_MAX_ROUNDS=20, EMERGING_LIST_SIZE=10
    )
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="train", source="demo", trigger="manual", requested_by="ana")
    assert tasks.drain_queue(clean_db, settings) == 1
    with clean_db.connect() as conn:
        run = conn.execute(text("SELECT kind, status, requested_by FROM job_runs WHERE kind = 'train'")).one()
        request = conn.execute(text("SELECT status, run_id FROM refresh_requests")).one()
        versions = conn.execute(text("SELECT count(*) FROM model_versions WHERE is_active")).scalar()
    assert tuple(run) == ("train", "succeeded", "ana") and request.status == "done" and versions == 1
