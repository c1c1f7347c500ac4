"""What an admin sees: a running run stage by stage, the truth after a run in words, the training notice, and the
alert deliveries, through the page callbacks against real runs of the pipeline.

    pytest tests/test_admin_ops.py
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import plotly
import pytest
from sqlalchemy import Engine, text

from core.settings import Settings
from jobs.errors import RunFailed
from jobs.lock import exclusive_run
from jobs.pipeline import backfill, refresh
from jobs.runs import RunRecorder
from jobs.sources.base import DailySource, SourceBatch
from jobs.tasks import drain_queue
from tests.conftest import reset_database
from tests.dashboard_support import dash_app, dashboard_database, signed_in
from tests.factories import DAY, config, tiny_source


def page(name: str) -> Any:
    return importlib.import_module(f"dashboard.pages.{name}")


def flat(component: Any) -> str:
    """A callback's output as JSON text, nested components included."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture
def app_db(clean_db: Engine, database_url: str) -> Iterator[Engine]:
    with dashboard_database(database_url):
        dash_app()
        yield clean_db
    reset_database(clean_db)


class AdminWatching(DailySource):
    """A tiny demo source, one day per batch; before day 3 it renders the Admin page's progress as ana."""

    def __init__(self) -> None:
        self.inner = tiny_source(n_artists=20)
        self.name, self.is_demo = self.inner.name, self.inner.is_demo
        self.seen: str | None = None

    def extract(self, day: date) -> SourceBatch:
        if day == DAY - timedelta(days=2):
            with signed_in("ana"):
                self.seen = flat(page("admin").render_progress(None))
        return self.inner.extract(day)


def test_the_admin_page_shows_a_running_run_stage_by_stage(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RunRecorder, "PROGRESS_INTERVAL", 0.0)
    source = AdminWatching()
    with exclusive_run(app_db):
        backfill(app_db, source, end_date=DAY, days=5, trigger="cli", requested_by="tests", config=config())
    seen = source.seen or ""
    assert "Run #1 (backfill, cli by tests) is running" in seen
    assert "extract + load" in seen and "2 of 5 days" in seen and '"value": 40.0' in seen  # the bar at 40%
    order = ["features", "score", "reasons for the tracks shown", "discover (sound, segments)", "aggregate + publish"]
    assert [seen.index(label) for label in order] == sorted(seen.index(label) for label in order)
    assert seen.count("to do") == 5
    with signed_in("ana"):
        assert page("admin").render_progress(None) is None  # idle: nothing shown
    with signed_in("bo"):
        assert page("admin").render_progress(None) is None  # a viewer gets nothing


def test_after_a_run_the_banner_and_morning_say_what_happened(app_db: Engine) -> None:
    admin, morning = page("admin"), page("morning")
    source = tiny_source(n_artists=20)
    with exclusive_run(app_db):
        backfill(app_db, source, end_date=DAY, days=3, trigger="cli", requested_by="tests", config=config())
    with signed_in("ana"):
        requested = flat(admin.request_refresh(1, source="demo"))
        request_id = int(json.loads(requested)["props"]["children"][0]["props"]["data"])
        waiting = admin.render_request(1, request_id)
    assert waiting == (f"Refresh request #{request_id} is waiting for the worker to start it.", "info", False)
    settings = Settings(APP_ENV="test", DEMO_ARTISTS=20, DEMO_SEED=7, DEMO_START="2024-01-01")
    with app_db.begin() as conn:  # the worker refreshes the same day the backfill published: nothing new
        conn.execute(text("UPDATE refresh_requests SET snapshot_date = :day"), {"day": DAY})
    assert drain_queue(app_db, settings) == 1
    with signed_in("ana"):
        words, colour, stop = admin.render_request(2, request_id)
        _, last_run = morning.render_morning(None)
    assert words == f"Run #2 found no new data, so the run #1 publication (data as of {DAY}) still stands."
    assert (colour, stop) == ("success", True)
    assert words in flat(last_run) and "already pending" not in words


def test_outcome_words_for_a_publishing_run_and_a_failed_one(app_db: Engine) -> None:
    from dashboard import ops_queries, run_view
    from dashboard.db import reading

    source = tiny_source(n_artists=20)
    with exclusive_run(app_db):
        backfill(app_db, source, end_date=DAY, days=3, trigger="cli", requested_by="tests", config=config())
        with pytest.raises(RunFailed):
            refresh(app_db, _Broken(), snapshot_date=DAY, trigger="cli", requested_by="tests", config=config())
    with signed_in("ana"), reading() as conn:
        published = run_view.outcome_sentence(ops_queries.run_outcome(conn=conn, run_id=1))
        failed = run_view.outcome_sentence(ops_queries.run_outcome(conn=conn, run_id=2))
    assert published == f"Run #1 published the data as of {DAY} (publication #1); it is what the pages show now."
    assert failed == (
        f"Run #2 (refresh) failed: RuntimeError: the source is down. Nothing changed: the run #1 publication"
        f" (data as of {DAY}) still stands."
    )


class _Broken(DailySource):
    name, is_demo = "demo", True

    def extract(self, day: date) -> SourceBatch:
        raise RuntimeError("the source is down")


def test_while_the_first_model_trains_morning_and_model_say_so(app_db: Engine) -> None:
    with exclusive_run(app_db):
        backfill(app_db, tiny_source(n_artists=20), end_date=DAY, days=3, trigger="cli", requested_by="t",
                 config=config())  # fmt: skip
    progress = {"stage": "tune_validate", "done": 3, "total": 40, "unit": "trials", "rows": 0}
    with app_db.begin() as conn:
        conn.execute(
            text("INSERT INTO job_runs (kind, trigger, source, progress) VALUES ('train', 'cli', 'model', :p)"),
            {"p": json.dumps(progress)},
        )
    with signed_in("bo"):
        notice = flat(page("model").render_model(None)[0])
        emerging_note = flat(page("morning").render_lists(None, "7", "points")[0])
    for shown in (notice, emerging_note):
        assert "A model is training." in shown and "tune + validate, 3 of 40 trials" in shown
        assert "No model trained yet" not in shown
    with app_db.begin() as conn:
        conn.execute(text("UPDATE job_runs SET status = 'failed' WHERE kind = 'train'"))
    with signed_in("bo"):
        assert "No model trained yet" in flat(page("model").render_model(None)[0])


def test_admins_see_every_delivery_with_its_attempts_and_error(app_db: Engine) -> None:
    with app_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alert_deliveries (delivery_key, channel, subject, body, status, attempts, last_error,"
                " sent_at) VALUES ('alert:demo:a1:2026-06-30', 'email', 'Hitscope alert: Ana', 'b', 'sent', 1, NULL,"
                " '2026-06-30 07:00+00'), ('alert:demo:a1:2026-06-30', 'webhook', 'Hitscope alert: Ana', 'b',"
                " 'failed', 5, 'HTTPError: webhook answered HTTP 500', NULL)"
            )
        )
    with signed_in("ana"):
        rows = page("admin").render_deliveries(None)
    assert [(r["channel"], r["status"], r["attempts"], r["last_error"], r["sent_at"]) for r in rows] == [
        ("email", "sent", 1, "", "2026-06-30 07:00"),
        ("webhook", "failed", 5, "HTTPError: webhook answered HTTP 500", None),
    ]
    with signed_in("bo"):
        assert page("admin").render_deliveries(None) == []
