"""Helpers for the dashboard tests: seed a real database through the real pipeline, point the app at it.

seeded = seed_demo(engine)           # ~35 days of a 150-artist demo market, one publication
with newer_publication(engine): ...  # an empty newer publication (cache keys change), removed after
with dashboard_database(url): ...    # DATABASE_URL (and test users) for the app's lazily created engine
with signed_in("ana"): ...           # a request context whose session belongs to a user
with keeping_page_callbacks(): ...   # a bare Dash app's first request leaves the pages' callbacks for the app
login(client, "ana")                 # sign a Flask test client in through the real form
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from dash import Dash
from flask import session
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.security import generate_password_hash

from core.settings import get_settings
from jobs.lock import exclusive_run
from jobs.pipeline import RunConfig, RunOutcome, backfill
from jobs.sources.demo import DemoSource

SNAPSHOT = date(2025, 6, 30)
DAYS = 35
PASSWORDS = {"ana": "ana-admin-pass", "bo": "bo-viewer-pass"}
ROLES = {"ana": "admin", "bo": "viewer"}
# A key production accepts (made with secrets.token_urlsafe(48)); production also needs a DATABASE_URL.
STRONG_SECRET_KEY = "fskmk2KWwed3wSCxd-TaIy_4Ge3G13aXcYWXAO7q2mHuzOmY-jBXCJPtFbKN3jeB"
SOME_DATABASE_URL = "postgresql+psycopg://hitscope@db.example/hitscope"


@functools.cache
def users_setting() -> str:
    """DASHBOARD_USERS for the tests: ana (admin) and bo (viewer); cheap pbkdf2 rounds to keep tests fast."""
    return ",".join(
        f"{name}:{ROLES[name]}:{generate_password_hash(password, method='pbkdf2:sha256:1000')}"
        for name, password in PASSWORDS.items()
    )


def seed_demo(engine: Engine, *, snapshot: date = SNAPSHOT, days: int = DAYS) -> RunOutcome:
    """Run the real backfill of the demo market (150 artists) and publish the last day."""
    source = DemoSource(n_artists=150)
    with exclusive_run(engine):
        return backfill(
            engine, source, end_date=snapshot, days=days, trigger="cli", requested_by="tests",
            config=RunConfig(),
        )  # fmt: skip


@contextmanager
def dashboard_database(url: str, **extra: str) -> Iterator[None]:
    """Set DATABASE_URL (and any extra settings) for the app, restoring the environment afterwards."""
    extra = {"DASHBOARD_USERS": users_setting(), "LOGIN_MAX_FAILURES": "3", **extra}
    saved = {key: os.environ.get(key) for key in ("DATABASE_URL", *extra)}
    os.environ["DATABASE_URL"] = url
    os.environ.update(extra)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@functools.cache
def dash_app() -> Dash:
    """The app, built once per test process (Dash registers page callbacks globally)."""
    from dashboard.app import create_app

    return create_app()


@contextmanager
def seeded_dashboard(engine: Engine, url: str) -> Iterator[Engine]:
    """An emptied database with the demo market refreshed into it, the app built against it; emptied again after."""
    from tests.conftest import reset_database, start_clean

    start_clean(engine)
    seed_demo(engine)
    try:
        with dashboard_database(url):
            dash_app()
            yield engine
    finally:
        reset_database(engine)


@contextmanager
def newer_publication(engine: Engine) -> Iterator[int]:
    """A publication newer than the current one (a copy of its header, no rows: a new cache key, nothing to
    show), deleted afterwards; yields its id."""
    with engine.begin() as conn:
        pid = conn.execute(text(
            "INSERT INTO publications (run_id, snapshot_date, source, is_demo, summary)"
            " SELECT run_id, snapshot_date, source, is_demo, summary FROM publications"
            " ORDER BY publication_id DESC LIMIT 1 RETURNING publication_id"
        )).scalar_one()  # fmt: skip
    try:
        yield int(pid)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM publications WHERE publication_id = :pid"), {"pid": pid})


@contextmanager
def signed_in(name: str | None) -> Iterator[None]:
    """A request context of the app whose session belongs to `name` (None: signed out)."""
    with dash_app().server.test_request_context("/"):
        if name:
            session["user"] = name
        yield


def login(client: FlaskClient, name: str, password: str | None = None) -> int:
    """Sign in through the form (with its CSRF field); return the response status (302 on success)."""
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, "the login form has no CSRF field"
    response = client.post("/login", data={"username": name, "password": password or PASSWORDS[name], "csrf": csrf[1]})
    return response.status_code


FEATURES = ["artist_spotify_popularity", "artist_spotify_popularity_28d", "track_spotify_popularity_7d",
            "days_since_release", "release_month", "artist_prior_hits"]  # fmt: skip


def seed_model_outputs(engine: Engine, *, publication_id: int, seed: int = 42) -> dict[str, Any]:
    """Write what the model side publishes (an active model version, track scores, importance, alerts) for a
    publication, shaped like jobs/score.py and model/validate.py write them. Returns the metrics written."""
    rng = random.Random(seed)
    metrics = {
        "forward": {"pr_auc": 0.41, "roc_auc": 0.83, "precision_at_k": 0.36, "k": 50, "brier": 0.061},
        "random_split": {"pr_auc": 0.77, "roc_auc": 0.96, "precision_at_k": 0.81, "k": 50, "brier": 0.032},
        "baselines": {
            "prevalence": {"pr_auc": 0.08, "roc_auc": 0.5, "precision_at_k": 0.08, "k": 50, "brier": 0.074},
            "momentum_only": {"pr_auc": 0.22, "roc_auc": 0.71, "precision_at_k": 0.2, "k": 50, "brier": 0.07},
            "audio_only": {"skipped": "no audio features in this source"},
        },
        "calibration": [
            {"bin_from": b / 10, "bin_to": (b + 1) / 10, "mean_predicted": b / 10 + 0.05,
             "observed_rate": min(1.0, b / 10 + 0.03), "n": 400 - 35 * b}
            for b in range(10)
        ],
    }  # fmt: skip
    with engine.begin() as conn:
        version = conn.execute(
            text(
                "INSERT INTO model_versions (is_active, promoted, label, metrics, data_window, feature_names)"
                " VALUES (true, true, CAST(:label AS jsonb), CAST(:metrics AS jsonb), CAST(:window AS jsonb),"
                " CAST(:names AS jsonb)) RETURNING model_version_id"
            ),
            {
                "label": json.dumps(
                    {"metric": "spotify_popularity", "threshold": 70, "horizon_days": 28, "mode": "history"}
                ),
                "metrics": json.dumps(metrics),
                "window": json.dumps(
                    {
                        "train_from": "2025-01-01",
                        "train_to": "2025-05-01",
                        "test_from": "2025-05-29",
                        "test_to": "2025-06-30",
                    }
                ),
                "names": json.dumps(FEATURES),
            },  # fmt: skip
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO model_versions (is_active, promoted, promotion_note, metrics)"
                " VALUES (false, false, 'did not beat the active model', '{}')"
            )
        )
        tracks = conn.execute(
            text(
                "SELECT t.track_id, t.name, a.artist_id, a.name, coalesce(t.genre, a.genre), t.release_date,"
                " o.value FROM tracks t JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
                " JOIN artists a ON a.artist_id = ta.artist_id"
                " JOIN raw_observations o ON o.entity_type = 'track' AND o.entity_id = t.track_id"
                "   AND o.metric = 'spotify_popularity' AND o.observed_on = :day ORDER BY t.track_id"
            ),
            {"day": SNAPSHOT},
        ).all()
        for track_id, name, artist_id, artist_name, genre, released, popularity in tracks:
            probability = rng.uniform(0.01, 0.95)
            momentum = round(rng.uniform(-5, 9), 1)
            pushes = [rng.gauss(0, 0.6) for _ in FEATURES]
            bias = math.log(probability / (1 - probability)) - sum(pushes)
            conn.execute(
                text(
                    "INSERT INTO agg_track_scores (publication_id, track_id, name, artist_id, artist_name,"
                    " genre, release_date, days_since_release, popularity, momentum_7d, is_hit, probability,"
                    " contributions, feature_values, model_version_id) VALUES (:pid, :tid, :name, :aid, :aname,"
                    " :genre, :rel, :days, :pop, :mom, :hit, :p, CAST(:contrib AS jsonb), CAST(:values AS jsonb), :mv)"
                ),
                {
                    "pid": publication_id,
                    "tid": track_id,
                    "name": name,
                    "aid": artist_id,
                    "aname": artist_name,
                    "genre": genre,
                    "rel": released,
                    "days": (SNAPSHOT - released).days,
                    "pop": popularity,
                    "mom": momentum,
                    "hit": popularity >= 70,
                    "p": probability,
                    "contrib": json.dumps({"bias": bias, **dict(zip(FEATURES, pushes, strict=True))}),
                    "values": json.dumps(
                        {
                            "artist_spotify_popularity": rng.randint(20, 90),
                            "artist_spotify_popularity_28d": round(rng.uniform(-8, 15), 1),
                            "track_spotify_popularity_7d": momentum,
                            "days_since_release": (SNAPSHOT - released).days,
                            "release_month": released.month,
                            "artist_prior_hits": rng.randint(0, 4),
                        }
                    ),
                    "mv": version,
                },  # fmt: skip
            )
        for rank, feature in enumerate(FEATURES):
            conn.execute(
                text(
                    "INSERT INTO agg_feature_importance (publication_id, feature, gain,"
                    " mean_abs_contribution) VALUES (:pid, :f, :g, :c)"
                ),
                {"pid": publication_id, "f": feature, "g": 1000.0 / (rank + 1), "c": 0.5 / (rank + 1)},
            )
        artists = conn.execute(
            text("SELECT artist_id, name, genre FROM agg_artist_leaderboard WHERE publication_id = :pid"
                 " ORDER BY artist_id LIMIT 4"),
            {"pid": publication_id},
        ).all()  # fmt: skip
        for index, (artist_id, name, genre) in enumerate(artists):
            conn.execute(
                text(
                    "INSERT INTO agg_alerts (publication_id, artist_id, name, genre, metric, observed_on,"
                    " value, expected, zscore, change, usual_change, since)"
                    " VALUES (:pid, :aid, :name, :genre, 'spotify_followers', :day, :v, :e, :z, :c, :u, :since)"
                ),
                {"pid": publication_id, "aid": artist_id, "name": name, "genre": genre, "day": SNAPSHOT,
                 "v": 50000 + index, "e": 30000, "z": 3.0 + index, "c": 1200.0 + 300 * index, "u": 380.0,
                 "since": SNAPSHOT - timedelta(days=index)},
            )  # fmt: skip
    return {"model_version_id": version, "metrics": metrics}


@contextmanager
def keeping_page_callbacks() -> Iterator[None]:
    """Around a bare `Dash` app of a test: the first request any Dash app serves moves every callback the pages
    registered with `dash.callback` into its own map and empties Dash's global list, so the product's app, if
    created after it in the same process, would answer "no callback" to every page callback. Given back here."""
    from dash import _callback

    saved = (dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST),
             list(_callback.GLOBAL_INLINE_SCRIPTS))  # fmt: skip
    try:
        yield
    finally:
        _callback.GLOBAL_CALLBACK_MAP.clear()
        _callback.GLOBAL_CALLBACK_MAP.update(saved[0])
        _callback.GLOBAL_CALLBACK_LIST[:] = saved[1]
        _callback.GLOBAL_INLINE_SCRIPTS[:] = saved[2]
