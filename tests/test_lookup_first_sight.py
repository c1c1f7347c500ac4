"""The first-sight model: trained and validated forward on a small demo market, used by the lookup when the active
version has one (the blanked main model otherwise, and the answer says which), and lookups racing a run.

    pytest tests/test_lookup_first_sight.py
"""

from __future__ import annotations

import threading
from datetime import date

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from core.hit_definition import HitDefinition
from core.model_report import FirstSight
from dashboard.lookup_queries import queue_lookup
from jobs.lock import run_lock
from jobs.lookup import answer_lookups
from jobs.model_store import json_safe
from jobs.pipeline import refresh
from model.examples import LabelSpec, build_examples
from model.features import FeatureContext
from model.first_sight import first_sight_scores
from model.first_sight_train import train_first_sight
from model.train import TrainConfig
from tests.factories import config, tiny_source
from tests.lookup_support import (
    DAY,
    FIRST_SIGHT_CALIBRATION,
    FIRST_SIGHT_FEATURES,
    activate_tiny_model,
    add_first_sight_model,
    fake_servers,
    sources,
)
from tests.model_data import demo_frames


def _queue(engine: Engine, track_id: str, user: str = "bo") -> int:
    with engine.begin() as conn:
        return queue_lookup(conn=conn, username=user, spotify_id=track_id)


def _answer(engine: Engine, request_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, probability, contributions, scored_with FROM lookup_requests WHERE request_id = :id"),
            {"id": request_id},
        ).one()
    return dict(row._mapping)


@pytest.mark.timeout(600)
def test_the_first_sight_model_is_validated_forward_against_first_sight_baselines() -> None:
    spec = LabelSpec(HitDefinition("spotify_popularity", 55, 28), step_days=7)
    ctx = FeatureContext.build(demo_frames(150, 170))
    examples = build_examples(ctx, spec)
    result = train_first_sight(ctx, examples, spec, TrainConfig(n_trials=2, max_rounds=30, k=10, n_boot=200))
    report = result.report
    assert report.get("skipped") is None, report
    assert not [name for name in report["features"] if name.startswith("track_")]  # no own history
    assert {"artist_prior_success", "artist_level"} <= set(report["baselines"])
    assert all("skipped" not in report["baselines"][n] for n in ("artist_prior_success", "artist_level"))
    assert report["protocol"]["n_origins"] >= 3 and report["protocol"]["interval"].startswith("95% bootstrap")
    ci = report["ci"]["pr_auc"]
    assert ci["lo"] is not None and ci["lo"] <= ci["diff"] <= ci["hi"]
    assert report["verdict"] in ("win", "tie")  # it beats or ties its best first-sight baseline
    assert report["calibration"]["method"].startswith("platt")
    stored = result.stored()
    assert stored is not None and stored[1]["features"] == report["features"] and stored[1]["calibration"]["a"]
    section = FirstSight.model_validate(json_safe(report))  # the typed report's first-sight section
    assert section.verdict == report["verdict"] and section.forward and section.forward.pr_auc


def test_the_lookup_scores_with_the_versions_first_sight_model(clean_db: Engine) -> None:
    model_id = activate_tiny_model(clean_db)
    booster = add_first_sight_model(clean_db, model_id)
    with fake_servers() as (spotify, lastfm, track_id):
        request_id = _queue(clean_db, track_id)
        answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY)
    answer = _answer(clean_db, request_id)
    assert answer["status"] == "done" and answer["scored_with"] == "first_sight"
    contributions = answer["contributions"]
    assert isinstance(contributions, dict)
    assert set(contributions) == {*FIRST_SIGHT_FEATURES, "bias"}  # the main model's days_since_release is absent
    with clean_db.connect() as conn:
        month = conn.execute(text("SELECT feature_values ->> 'release_month' FROM lookup_requests")).scalar()
    rows = pd.DataFrame({"artist_spotify_popularity": [57.0], "release_month": [float(month)]})
    expected, _ = first_sight_scores(booster, {"calibration": FIRST_SIGHT_CALIBRATION}, rows)
    assert answer["probability"] == pytest.approx(float(expected[0]))


def test_a_version_without_one_falls_back_to_blanked_scoring_and_says_so(clean_db: Engine) -> None:
    activate_tiny_model(clean_db)
    with fake_servers() as (spotify, lastfm, track_id):
        request_id = _queue(clean_db, track_id)
        answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY)
    answer = _answer(clean_db, request_id)
    assert answer["scored_with"] == "blanked" and "days_since_release" in answer["contributions"]  # type: ignore[operator]


@pytest.mark.timeout(300)
def test_a_lookup_during_a_run_waits_and_its_track_survives_the_refresh(clean_db: Engine) -> None:
    old = activate_tiny_model(clean_db, seed=3)
    holding, release = threading.Event(), threading.Event()
    new: list[int] = []

    def publication() -> None:  # a run that swaps the active model while it holds the lock
        with run_lock(clean_db, wait=True):
            holding.set()
            release.wait(30)
            new.append(activate_tiny_model(clean_db, seed=4))

    with fake_servers() as (spotify, lastfm, track_id):
        request_id = _queue(clean_db, track_id)
        worker = threading.Thread(target=publication)
        worker.start()
        assert holding.wait(30)
        assert answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY) == 0
        assert _answer(clean_db, request_id)["status"] == "pending"  # not claimed, nothing read mid-run
        release.set()
        worker.join(30)
        assert answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY) == 1
    with clean_db.connect() as conn:
        version = conn.execute(text("SELECT model_version_id FROM lookup_requests")).scalar()
    assert version == new[0] != old  # the model published by the run, never a half-swapped state
    # The refresh that follows merges its own catalogue: the looked-up track and its watch entries stay.
    refresh(clean_db, tiny_source(n_artists=8), snapshot_date=date(2024, 3, 1), trigger="cli", requested_by="t",
            config=config())  # fmt: skip
    with clean_db.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM tracks WHERE track_id = :id),"
                " (SELECT count(*) FROM watchlist WHERE spotify_id = :id),"
                " (SELECT count(*) FROM user_watchlist WHERE entity_id = :id)"
            ),
            {"id": track_id},
        ).one()
    assert tuple(kept) == (1, 1, 1)


def test_first_sight_scores_of_a_separate_model_add_up(clean_db: Engine) -> None:
    model_id = activate_tiny_model(clean_db)
    booster: lgb.Booster = add_first_sight_model(clean_db, model_id)
    rows = pd.DataFrame({"artist_spotify_popularity": [10.0, 90.0], "release_month": [3.0, 3.0]})
    probability, contrib = first_sight_scores(booster, {"calibration": FIRST_SIGHT_CALIBRATION}, rows)
    assert probability[1] > probability[0]
    np.testing.assert_allclose(contrib.sum(axis=1), np.log(probability / (1 - probability)), atol=1e-9)
