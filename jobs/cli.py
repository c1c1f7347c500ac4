"""Hitscope's command line: every step of the product runs by hand from here.

python -m jobs migrate                       apply database migrations (Procfile `release`)
python -m jobs refresh [--date D] [--source S]  one refresh run for a snapshot date
python -m jobs backfill --days N [--end D]   N days of snapshots, then one publication
python -m jobs demo --days N [--time-budget S]  `make demo`'s data: backfill N days, then (no active model)
                                             train and publish the scores, all in one process
python -m jobs request [--source S]          queue a refresh for the worker, as the Admin page does
python -m jobs worker                        the scheduler process (Procfile `worker`)
python -m jobs status [--require-model]      freshness, last run and active model
python -m jobs train [--time-budget S] [--trials N]   tune, validate, store and maybe promote a model
python -m jobs evaluate --data PATH... [--layout L | --map M] [--horizon D] --report OUT.json
                                             the model protocol on real files (pooled when several)
python -m jobs import PATH [--layout L | --map M] [--snapshot-date D] [--rejects FILE]
                                             import a dataset file or directory (docs/sources.md)
python -m jobs watch add|list|remove [URL]   the Spotify / Last.fm watchlist
python -m jobs retention [--keep-months N]   drop observation months older than N (KEEP_OBSERVATION_MONTHS)
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from core import migrations
from core.db import engine_from_settings, wait_for_database
from core.logs import configure_logging
from core.queue import enqueue_request
from core.settings import Settings, get_settings
from jobs.errors import HitscopeError
from jobs.memory import use_system_arrow_pool
from jobs.source_registry import SOURCE_NAMES
from jobs.sources.column_map import ColumnMap
from jobs.sources.layouts import LAYOUT_NAMES

logger = logging.getLogger(__name__)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobs", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="apply database migrations")
    refresh = commands.add_parser("refresh", help="run one refresh now")
    refresh.add_argument("--date", type=_date, default=None, help="snapshot date (default: today)")
    refresh.add_argument("--source", choices=SOURCE_NAMES, default=None, help="default: SOURCE setting")
    backfill = commands.add_parser("backfill", help="load N days of snapshots, then publish the last")
    backfill.add_argument("--days", type=int, default=None, help="default: BACKFILL_DAYS setting")
    backfill.add_argument("--end", type=_date, default=None, help="last day (default: today)")
    backfill.add_argument("--source", choices=SOURCE_NAMES, default=None)
    demo = commands.add_parser("demo", help="backfill N days, then train and publish scores when no model is active")
    demo.add_argument("--days", type=int, default=None, help="default: BACKFILL_DAYS setting")
    demo.add_argument("--time-budget", type=float, default=None, help="seconds (default: TRAIN_TIME_BUDGET)")
    demo.add_argument("--source", choices=SOURCE_NAMES, default=None)
    request = commands.add_parser("request", help="queue a refresh for the worker")
    request.add_argument("--source", choices=SOURCE_NAMES, default=None)
    commands.add_parser("worker", help="run the scheduler: daily refresh and the manual queue")
    status = commands.add_parser("status", help="freshness, last run and active model, in one screen")
    status.add_argument("--require-model", action="store_true", help="exit 3 when no model is active")
    train = commands.add_parser("train", help="tune, validate, store and maybe promote a hit model")
    train.add_argument("--time-budget", type=float, default=None, help="seconds (default: TRAIN_TIME_BUDGET)")
    train.add_argument("--trials", type=int, default=None, help="Optuna trial cap (default: OPTUNA_TRIALS)")
    train.add_argument("--if-none-active", action="store_true", help="do nothing when a model is already active")
    evaluate = commands.add_parser("evaluate", help="run the honest-validation protocol on a real data file")
    evaluate.add_argument(
        "--data", required=True, nargs="+", help="dataset files or directories, pooled into one model (docs/model.md)"
    )
    evaluate.add_argument("--horizon", type=int, default=None, help="label horizon in days (default: the layout's)")
    evaluate.add_argument("--layout", default="auto", help="dataset layout (default: detect from the columns)")
    evaluate.add_argument("--map", type=Path, default=None, help="a column mapping (TOML, see docs/sources.md)")
    evaluate.add_argument("--report", required=True, help="where to write the JSON report")
    evaluate.add_argument("--trials", type=int, default=None, help="Optuna trial cap (default: OPTUNA_TRIALS)")
    evaluate.add_argument("--time-budget", type=float, default=None, help="seconds (default: TRAIN_TIME_BUDGET)")
    imports = commands.add_parser("import", help="import a dataset file or directory, then publish")
    imports.add_argument("path", type=Path, help="a .csv / .csv.gz file, or a directory of them")
    imports.add_argument("--layout", choices=("auto", *LAYOUT_NAMES), default="auto")
    imports.add_argument(
        "--map", type=Path, default=None, help="a column mapping (TOML) onto a layout (docs/sources.md)"
    )
    imports.add_argument(
        "--snapshot-date", type=_date, default=None,
        help="observed_on for single-snapshot tables (default: the layout's known collection date)",
    )  # fmt: skip
    imports.add_argument("--rejects", type=Path, default=None, help="write all skipped rows as CSV")
    watch = commands.add_parser("watch", help="the artists and tracks the spotify and lastfm sources follow")
    watch_commands = watch.add_subparsers(dest="watch_command", required=True, metavar="ACTION")
    watch_add = watch_commands.add_parser("add", help="watch a Spotify artist or track (URL, URI or id)")
    watch_add.add_argument("reference", help="open.spotify.com/artist/<id> URL, spotify:artist:<id> or <id>")
    watch_add.add_argument("--name", default=None, help="a label (default: the name Spotify gives)")
    watch_commands.add_parser("list", help="list what is watched")
    watch_remove = watch_commands.add_parser("remove", help="stop watching")
    watch_remove.add_argument("reference")
    retention = commands.add_parser("retention", help="drop whole months of observations older than N months")
    retention.add_argument(
        "--keep-months", type=int, default=None, help="months kept, this one too (default: KEEP_OBSERVATION_MONTHS)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_system_arrow_pool()  # before any frame is read (jobs.memory)
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    if args.command == "evaluate":  # works on a file: no database needed
        from jobs.evaluate import evaluate_data

        try:
            evaluate_data(
                args.data, layout=args.layout, report_path=args.report, settings=settings, trials=args.trials,
                time_budget=args.time_budget, horizon=args.horizon, mapping=_mapping(args),
            )  # fmt: skip
        except HitscopeError as error:
            logger.error("%s", error)
            return 1
        return 0
    engine = engine_from_settings(settings)
    wait_for_database(engine)
    applied = migrations.upgrade(engine)
    if applied:
        logger.info("applied migrations %s", ", ".join(applied))
    user = f"cli:{getpass.getuser()}"
    source = getattr(args, "source", None) or settings.SOURCE
    from jobs import tasks

    try:
        if args.command == "refresh":
            outcome = tasks.refresh_now(
                engine, settings, source=source, snapshot_date=args.date or date.today(), user=user
            )
            logger.info("run %s done: publication %s", outcome.run_id, outcome.publication_id)
        elif args.command == "backfill":
            outcome = tasks.backfill_now(
                engine, settings, source=source, end_date=args.end or date.today(),
                days=args.days or settings.BACKFILL_DAYS, user=user,
            )  # fmt: skip
            logger.info("backfill run %s done: publication %s", outcome.run_id, outcome.publication_id)
        elif args.command == "demo":
            _demo(engine, settings, args, source, user)
        elif args.command == "request":
            with engine.begin() as conn:
                queued = enqueue_request(conn=conn, kind="refresh", source=source, trigger="cli", requested_by=user)
            logger.info("request %s %s", queued.request_id, "queued" if queued.created else "already pending")
        elif args.command == "train" and args.if_none_active and tasks.has_active_model(engine):
            logger.info("a model is already active: not training (drop --if-none-active to retrain)")
        elif args.command == "train":
            trained = tasks.train_now(engine, settings, user=user, time_budget=args.time_budget, trials=args.trials)
            logger.info(
                "train run %s: model version %s %s (%s)", trained.run_id, trained.model_version_id,
                "promoted" if trained.promoted else "kept inactive", trained.note,
            )  # fmt: skip
        elif args.command == "status":
            report = tasks.status_report(engine)
            sys.stdout.write(report.text + "\n")
            if args.require_model and not report.has_model:
                return 3
        elif args.command == "import":
            _import(engine, settings, args, user)
        elif args.command == "watch":
            _watch(engine, args, user)
        elif args.command == "retention":
            _retention(engine, settings, args)
        elif args.command == "worker":
            from jobs.clock import run_worker

            run_worker(engine, settings)
    except HitscopeError as error:
        logger.error("%s", error)
        return 1
    return 0


def _demo(engine: Engine, settings: Settings, args: argparse.Namespace, source: str, user: str) -> None:
    """`make demo`'s data in one process (each `python -m jobs` start costs seconds): the backfill publishes
    the lists; with no active model, a training run, then a refresh that publishes the model's scores."""
    from jobs import tasks

    today = date.today()
    days = args.days or settings.BACKFILL_DAYS
    outcome = tasks.backfill_now(engine, settings, source=source, end_date=today, days=days, user=user)
    logger.info("backfill run %s done: publication %s", outcome.run_id, outcome.publication_id)
    if tasks.has_active_model(engine):
        logger.info("a model is already active: not training")
        return
    trained = tasks.train_now(engine, settings, user=user, time_budget=args.time_budget)
    logger.info("train run %s: model version %s (%s)", trained.run_id, trained.model_version_id, trained.note)
    outcome = tasks.refresh_now(engine, settings, source=source, snapshot_date=today, user=user)
    logger.info("run %s done: publication %s with scores", outcome.run_id, outcome.publication_id)


def _watch(engine: Engine, args: argparse.Namespace, user: str) -> None:
    from jobs.sources.spotify_source import parse_reference
    from jobs.sources_store import add_watch, list_watch, remove_watch

    if args.watch_command == "list":
        with engine.connect() as conn:
            items = list_watch(conn=conn)
        for item in items:
            logger.info("%s %s %s", item.entity_type, item.spotify_id, item.name or "(name not fetched yet)")
        logger.info("%d watched", len(items))
        return
    try:
        kind, spotify_id = parse_reference(args.reference)
    except ValueError as error:
        raise HitscopeError(str(error)) from error
    with engine.begin() as conn:
        if args.watch_command == "add":
            created = add_watch(conn=conn, entity_type=kind, spotify_id=spotify_id, name=args.name, added_by=user)
            logger.info("%s %s %s", kind, spotify_id, "added" if created else "already watched")
        else:
            removed = remove_watch(conn=conn, spotify_id=spotify_id)
            logger.info("%s %s %s", kind, spotify_id, "removed" if removed else "was not watched")


def _retention(engine: Engine, settings: Settings, args: argparse.Namespace) -> None:
    """DROP the observation partitions of months before the kept ones, under the run lock (no load runs)."""
    from jobs.lock import run_lock
    from jobs.partitions import drop_partitions_before, months_before

    keep = settings.KEEP_OBSERVATION_MONTHS if args.keep_months is None else args.keep_months
    if keep < 0:
        raise HitscopeError(f"--keep-months must be 0 (keep all) or more, not {keep}")
    if keep == 0:
        logger.info("retention: keeping every month (KEEP_OBSERVATION_MONTHS=0)")
        return
    cutoff = months_before(date.today(), keep)
    with run_lock(engine, wait=True), engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '30s'")  # never queue readers behind us for long
        dropped = drop_partitions_before(conn=conn, cutoff=cutoff)
    logger.info("retention: dropped %d month(s) before %s: %s", len(dropped), cutoff, ", ".join(dropped) or "none")


def _mapping(args: argparse.Namespace) -> ColumnMap | None:
    """The `--map` file, checked (before any run); `--map` and `--layout` together are refused."""
    if args.map is None:
        return None
    if args.layout != "auto":
        raise HitscopeError("--map names the layout itself: give --map or --layout, not both")
    from jobs.sources.column_map import load_mapping

    return load_mapping(args.map)


def _import(engine: Engine, settings: Settings, args: argparse.Namespace, user: str) -> None:
    from jobs.importer import import_now
    from jobs.pipeline import RunConfig

    outcome = import_now(
        engine, args.path, layout=args.layout, snapshot_date=args.snapshot_date,
        config=RunConfig.from_settings(settings), user=user, chunk_rows=settings.IMPORT_CHUNK_ROWS,
        mapping=_mapping(args), rejects=args.rejects,
    )  # fmt: skip
    report = outcome.report
    for rejected in report.rejected[:50]:
        logger.warning("skipped %s line %d: %s", rejected.file, rejected.line, rejected.reason)
    if report.rows_rejected > 50:
        logger.warning("... %d skipped rows in all", report.rows_rejected)
    logger.info(
        "import run %s done: %d rows read, %d kept, %d skipped on purpose, %d malformed; %d rows changed;"
        " publication %s", outcome.run_id, report.rows_read, report.rows_kept, report.rows_skipped,
        report.rows_rejected, sum(outcome.loaded.values()), outcome.publication_id,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
