"""The worker process: APScheduler 3.x running the daily refresh and polling the manual-refresh queue.

    python -m jobs worker          # what the Procfile's `worker` line runs

It only schedules; the work is in `jobs.tasks`. Both jobs run with `max_instances=1` and `coalesce=True`,
and the run lock in PostgreSQL keeps a second worker started by mistake from running anything twice.
"""

from __future__ import annotations

import logging

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from core.settings import Settings
from jobs.tasks import drain_queue, scheduled_refresh

logger = logging.getLogger(__name__)


def _log_job_error(event: JobExecutionEvent) -> None:
    logger.error("scheduled job %s failed", event.job_id, exc_info=event.exception)


def build_scheduler(engine: Engine, settings: Settings) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600}, timezone="UTC"
    )
    scheduler.add_job(
        scheduled_refresh, CronTrigger.from_crontab(settings.DAILY_CRON, timezone="UTC"),
        args=[engine, settings], id="daily_refresh", name="daily refresh",
    )  # fmt: skip
    scheduler.add_job(
        drain_queue, "interval", seconds=settings.QUEUE_POLL_SECONDS, args=[engine, settings],
        id="manual_queue", name="manual refresh queue", misfire_grace_time=settings.QUEUE_POLL_SECONDS,
    )  # fmt: skip
    scheduler.add_listener(_log_job_error, EVENT_JOB_ERROR)
    return scheduler


def run_worker(engine: Engine, settings: Settings) -> None:
    scheduler = build_scheduler(engine, settings)
    logger.info(
        "worker started: daily refresh at '%s' UTC, queue polled every %ss",
        settings.DAILY_CRON, settings.QUEUE_POLL_SECONDS,
    )  # fmt: skip
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("worker stopping")
