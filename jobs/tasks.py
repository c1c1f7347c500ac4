"""The work the scheduler, the queue and the CLI share: what a refresh request turns into.

`clock.py` only schedules these; `cli.py` only parses arguments into them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from core.queue import enqueue_request
from core.settings import Settings
from jobs.lock import exclusive_run
from jobs.lookup import LookupSources, answer_lookups
from jobs.model_store import active_model
from jobs.pipeline import RunConfig, RunOutcome, backfill, refresh
from jobs.queue import Request, process_queue
from jobs.runs import status_rows
from jobs.source_registry import build_source
from jobs.train import TrainOutcome, TrainPlan, train_model

logger = logging.getLogger(__name__)


def run_request(engine: Engine, settings: Settings, request: Request) -> int:
    """Carry out one claimed queue request; return the id of the run it produced."""
    if request.kind == "refresh":
        outcome = refresh(
            engine, build_source(request.source, settings),
            snapshot_date=request.snapshot_date or date.today(), trigger=request.trigger,
            requested_by=request.requested_by, config=RunConfig.from_settings(settings),
        )  # fmt: skip
        return outcome.run_id
    if request.kind == "train":
        return train_now(engine, settings, user=request.requested_by, trigger=request.trigger, take_lock=False).run_id
    raise ValueError(f"this worker cannot run {request.kind!r} requests yet")


def drain_queue(engine: Engine, settings: Settings) -> int:
    """Process every pending request, then answer the pending track lookups (the worker polls this)."""
    processed = process_queue(
        engine, lambda request: run_request(engine, settings, request), max_attempts=settings.QUEUE_MAX_ATTEMPTS
    )
    return processed + answer_lookups(engine, lambda: LookupSources.from_settings(engine, settings), today=date.today())


def scheduled_refresh(engine: Engine, settings: Settings, today: date | None = None) -> int:
    """The daily job: enqueue today's refresh once (deduplicated across clocks), then drain the queue."""
    day = today or date.today()
    with engine.begin() as conn:
        enqueue_request(
            conn=conn, kind="refresh", source=settings.SOURCE, trigger="schedule",
            requested_by="scheduler", snapshot_date=day, dedupe_key=f"schedule:{settings.SOURCE}:{day}",
        )  # fmt: skip
    return drain_queue(engine, settings)


def scheduled_retrain(engine: Engine, settings: Settings, today: date | None = None) -> int:
    """The weekly job (RETRAIN_CRON): enqueue one retrain for the day (deduplicated across clocks), then drain."""
    day = today or date.today()
    with engine.begin() as conn:
        enqueue_request(
            conn=conn, kind="train", source=settings.SOURCE, trigger="schedule", requested_by="scheduler",
            dedupe_key=f"schedule:train:{day}",
        )  # fmt: skip
    return drain_queue(engine, settings)


def refresh_now(engine: Engine, settings: Settings, *, source: str, snapshot_date: date, user: str) -> RunOutcome:
    """A refresh from the command line: waits for a running one to finish, then runs."""
    with exclusive_run(engine, wait=True):
        return refresh(
            engine, build_source(source, settings), snapshot_date=snapshot_date, trigger="cli",
            requested_by=user, config=RunConfig.from_settings(settings),
        )  # fmt: skip


def backfill_now(
    engine: Engine, settings: Settings, *, source: str, end_date: date, days: int, user: str
) -> RunOutcome:
    with exclusive_run(engine, wait=True):
        return backfill(
            engine, build_source(source, settings), end_date=end_date, days=days, trigger="cli",
            requested_by=user, config=RunConfig.from_settings(settings),
        )  # fmt: skip


def train_now(
    engine: Engine,
    settings: Settings,
    *,
    user: str,
    trigger: str = "cli",
    time_budget: float | None = None,
    trials: int | None = None,
    take_lock: bool = True,
) -> TrainOutcome:
    """Train (and maybe promote) a model under the run lock (`take_lock=False`: the caller holds it, as the
    queue worker does); the Optuna study goes to the same database, schema `optuna`."""
    plan = TrainPlan.from_settings(settings, time_budget=time_budget, trials=trials)
    url = engine.url.render_as_string(hide_password=False)
    if take_lock:
        with exclusive_run(engine, wait=True):
            return train_model(engine, plan, trigger=trigger, requested_by=user, database_url=url)
    return train_model(engine, plan, trigger=trigger, requested_by=user, database_url=url)


def has_active_model(engine: Engine) -> bool:
    with engine.connect() as conn:
        return active_model(conn=conn) is not None


@dataclass(frozen=True)
class StatusReport:
    text: str
    has_model: bool


def status_report(engine: Engine) -> StatusReport:
    """What `python -m jobs status` prints: freshness, the last run and the active model."""
    with engine.connect() as conn:
        rows = status_rows(conn=conn)
    pub, run, model = rows["publication"], rows["run"], rows["model"]
    if pub:
        demo = " (DEMO DATA)" if pub["is_demo"] else ""
        published = f"#{pub['publication_id']} for {pub['snapshot_date']} from {pub['source']}{demo}"
        published += f", published {pub['published_at']:%Y-%m-%d %H:%M}"
    else:
        published = "none yet (run `python -m jobs backfill`)"
    last_run = "none yet"
    if run:
        last_run = (
            f"#{run['run_id']} {run['kind']} ({run['trigger']}) {run['status']} at {run['started_at']:%Y-%m-%d %H:%M}"
        )
        last_run += f": {run['error']}" if run["error"] else ""
    active = (
        f"version {model['model_version_id']} active, forward PR-AUC {model['pr_auc']}"
        if model
        else "none active (run `python -m jobs train`)"
    )
    text = f"publication: {published}\nlast run:    {last_run}\nmodel:       {active}"
    return StatusReport(text, model is not None)
