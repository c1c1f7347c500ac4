"""The worker's schedule, driven by APScheduler 3.x itself under a fake clock (no sleeps, no threads).

    pytest tests/test_clock.py

`ManualScheduler` is an APScheduler scheduler whose only loop is the test calling `tick()`: APScheduler's own
`_process_jobs` decides what is due at the fake `now` and runs it in the calling thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from apscheduler.executors import base as executor_base
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers import base as scheduler_base
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, text

from core.settings import Settings
from jobs.clock import JOB_DEFAULTS, build_scheduler


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now


class ManualScheduler(BaseScheduler):
    """Runs due jobs only when told to (`tick`), in this thread."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def tick(self) -> None:
        self._process_jobs()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 6, 27, 12, 0, tzinfo=UTC))  # a Saturday

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return fake.now.astimezone(tz) if tz else fake.now

    monkeypatch.setattr(scheduler_base, "datetime", FakeDatetime)  # what is due
    monkeypatch.setattr(executor_base, "datetime", FakeDatetime)  # the misfire check before a job runs
    return fake


def train_requests(engine: Engine) -> list[tuple[str, str, str | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT trigger, requested_by, dedupe_key, status FROM refresh_requests WHERE kind = 'train'"
                 " ORDER BY request_id")
        )  # fmt: skip
        return [tuple(row) for row in rows]  # type: ignore[misc]


@contextmanager
def running_scheduler(engine: Engine, settings: Settings) -> Iterator[ManualScheduler]:
    """The worker's scheduler (jobs.clock.build_scheduler), started on the fake clock, its jobs run inline."""
    scheduler = ManualScheduler(job_defaults=JOB_DEFAULTS, executors={"default": DebugExecutor()}, timezone="UTC")
    build_scheduler(engine, settings, scheduler)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def test_retraining_fires_weekly_at_the_configured_time(clean_db: Engine, clock: FakeClock) -> None:
    settings = Settings(APP_ENV="test", DAILY_CRON="0 6 * * *", RETRAIN_CRON="0 3 * * sun", QUEUE_POLL_SECONDS=3600)
    with running_scheduler(clean_db, settings) as scheduler:
        retrain = scheduler.get_job("scheduled_retrain")
        assert retrain.next_run_time == datetime(2026, 6, 28, 3, 0, tzinfo=UTC)  # next Sunday, 03:00 UTC

        clock.now = datetime(2026, 6, 28, 2, 59, tzinfo=UTC)
        scheduler.tick()
        assert train_requests(clean_db) == []  # a minute early: nothing

        clock.now = datetime(2026, 6, 28, 3, 0, 5, tzinfo=UTC)
        scheduler.tick()
        # Fired once: the request went through the queue (an empty database fails the training quickly);
        # the job itself dates its dedupe key by the real calendar.
        assert train_requests(clean_db) == [("schedule", "scheduler", f"schedule:train:{date.today()}", "failed")]
        with clean_db.connect() as conn:
            run = conn.execute(text("SELECT kind, trigger, status, error FROM job_runs")).one()
        assert run[:3] == ("train", "schedule", "failed") and "no track observations" in run[3]
        assert retrain.id == scheduler.get_job("scheduled_retrain").id
        assert scheduler.get_job("scheduled_retrain").next_run_time == datetime(2026, 7, 5, 3, 0, tzinfo=UTC)

        clock.now = datetime(2026, 6, 28, 3, 30, tzinfo=UTC)
        scheduler.tick()
        assert len(train_requests(clean_db)) == 1  # not again the same week


def test_the_cron_settings_decide_when_jobs_fire(clean_db: Engine, clock: FakeClock) -> None:
    """Non-default crontabs: a scheduler that ignored them (or hard-coded the defaults) fails here."""
    settings = Settings(APP_ENV="test", DAILY_CRON="30 14 * * *", RETRAIN_CRON="15 9 * * wed", QUEUE_POLL_SECONDS=3600)
    with running_scheduler(clean_db, settings) as scheduler:
        assert scheduler.get_job("daily_refresh").next_run_time == datetime(2026, 6, 27, 14, 30, tzinfo=UTC)
        assert scheduler.get_job("scheduled_retrain").next_run_time == datetime(2026, 7, 1, 9, 15, tzinfo=UTC)
        scheduler.remove_job("daily_refresh")  # its run (a demo refresh) is not what this test is about

        clock.now = datetime(2026, 6, 28, 3, 0, 5, tzinfo=UTC)  # the default retraining time: nothing
        scheduler.tick()
        assert train_requests(clean_db) == []

        clock.now = datetime(2026, 7, 1, 9, 15, 5, tzinfo=UTC)  # the configured one: fires
        scheduler.tick()
        assert [row[:2] for row in train_requests(clean_db)] == [("schedule", "scheduler")]


def test_an_empty_retrain_cron_schedules_no_retraining(clean_db: Engine) -> None:
    scheduler = ManualScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    build_scheduler(clean_db, Settings(APP_ENV="test", RETRAIN_CRON=""), scheduler)
    assert {job.id for job in scheduler.get_jobs()} == {"daily_refresh", "manual_queue"}


def test_alert_delivery_is_scheduled_only_with_a_channel(clean_db: Engine) -> None:
    scheduler = ManualScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    build_scheduler(clean_db, Settings(APP_ENV="test", WEBHOOK_URL="http://127.0.0.1:9/hook"), scheduler)
    assert {job.id for job in scheduler.get_jobs()} == {
        "daily_refresh", "scheduled_retrain", "manual_queue", "alert_delivery",
    }  # fmt: skip
