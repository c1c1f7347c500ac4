"""The worker process: APScheduler 3.x running the daily refresh, the weekly retraining, alert delivery, and
polling the manual-refresh queue.

    python -m jobs worker          # what the Procfile's `worker` line runs

It only schedules; the work is in `jobs.tasks` and `jobs.deliver`. Every job runs with `max_instances=1` and
`coalesce=True`, and the run lock in PostgreSQL keeps a second worker started by mistake from running anything
twice (retraining and refreshes share the queue and the lock; a delivery row is locked while it is sent).
"""

from __future__ import annotations

import logging

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from core.settings import Settings
from jobs.deliver import DeliveryConfig, deliver
from jobs.tasks import drain_queue, scheduled_refresh, scheduled_retrain

logger = logging.getLogger(__name__)

JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600}


def _log_job_error(event: JobExecutionEvent) -> None:
    logger.error("scheduled job %s failed", event.job_id, exc_info=event.exception)


def build_scheduler(engine: Engine, settings: Settings, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    """Add the worker's jobs to `scheduler` (default: a blocking one in UTC; tests pass their own)."""
    if scheduler is None:
        scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    scheduler.add_job(
        scheduled_refresh, CronTrigger.from_crontab(settings.DAILY_CRON, timezone="UTC"),
        args=[engine, settings], id="daily_refresh", name="daily refresh",
    )  # fmt: skip
    if settings.RETRAIN_CRON.strip():
        scheduler.add_job(
            scheduled_retrain, CronTrigger.from_crontab(settings.RETRAIN_CRON, timezone="UTC"),
            args=[engine, settings], id="scheduled_retrain", name="scheduled retraining",
        )  # fmt: skip
    scheduler.add_job(
        drain_queue, "interval", seconds=settings.QUEUE_POLL_SECONDS, args=[engine, settings],
        id="manual_queue", name="manual refresh queue", misfire_grace_time=settings.QUEUE_POLL_SECONDS,
    )  # fmt: skip
    delivery = DeliveryConfig.from_settings(settings)
    if delivery.channels:
        scheduler.add_job(
            deliver, "interval", seconds=settings.DELIVERY_POLL_SECONDS, args=[engine, delivery],
            id="alert_delivery", name="alert delivery", misfire_grace_time=settings.DELIVERY_POLL_SECONDS,
        )  # fmt: skip
    scheduler.add_listener(_log_job_error, EVENT_JOB_ERROR)
    return scheduler


def run_worker(engine: Engine, settings: Settings) -> None:
    scheduler = build_scheduler(engine, settings)
    channels = DeliveryConfig.from_settings(settings).channels
    logger.info(
        "worker started: daily refresh at '%s' UTC, retraining at '%s' UTC, queue polled every %ss, alerts by %s",
        settings.DAILY_CRON, settings.RETRAIN_CRON or "never", settings.QUEUE_POLL_SECONDS,
        " and ".join(channels) or "no channel (set SMTP_HOST/SMTP_TO or WEBHOOK_URL)",
    )  # fmt: skip
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("worker stopping")
