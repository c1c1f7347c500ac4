"""Import a dataset file (or a directory of them) as one run: staged chunks, one merge, then aggregate + publish.

    python -m jobs import PATH [--layout auto|spotify-600k|...] [--map mapping.toml] [--snapshot-date D]
                               [--rejects FILE]

The run is a `job_runs` row of kind 'import' (source 'dataset'). All-or-nothing: every chunk is COPYed into
staging tables and the whole import is merged in ONE transaction (`jobs.load.StagedLoad`), so a file that
breaks part-way (a truncated gzip, a database error) leaves every table as it was, and the run is marked
failed with the reason. Re-importing a file changes no row; a progress line is logged per chunk.
Malformed or out-of-bounds rows are reported (file, line, reason) in the log, in the run's warnings (the
first few) and, with `--rejects FILE`, all of them as CSV. The import is the load stage of the
one orchestrator (`jobs.pipeline.run_stages`): the same ANALYZE, score, discover, aggregate and publish as a
refresh follow, as of the newest day the file supports (`ImportReport.supported_day`), and never before the
current publication (`jobs.publish.publication_day`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from jobs.errors import DataQualityError
from jobs.load import StagedLoad
from jobs.lock import exclusive_run
from jobs.pipeline import Loaded, Loader, RunConfig, run_stages
from jobs.progress import estimate_rows
from jobs.runs import RunRecorder, recorded_run
from jobs.sources.column_map import ColumnMap
from jobs.sources.dataset import CHUNK_ROWS, DatasetImport, DatasetSource, ImportReport, read_dataset
from jobs.sources_store import set_run_snapshot_date

logger = logging.getLogger(__name__)

WARN_REJECTS = 20  # rejected rows listed one by one in the run's warnings; the rest are counted


@dataclass
class ImportOutcome:
    run_id: int
    publication_id: int | None
    report: ImportReport
    loaded: dict[str, int] = field(default_factory=dict)


def import_dataset(
    engine: Engine,
    imported: DatasetImport,
    *,
    trigger: str,
    requested_by: str | None,
    config: RunConfig,
) -> ImportOutcome:
    """Stage every batch of `imported`, merge them at once, then publish. The caller holds the run lock."""
    source = DatasetSource()
    report = imported.report
    with recorded_run(
        engine, kind="import", trigger=trigger, source=source.name, snapshot_date=imported.snapshot_date,
        requested_by=requested_by,
    ) as recorder:  # fmt: skip
        loaded, publication_id = run_stages(engine, source, recorder, config, _loader(engine, imported))
        with engine.begin() as conn:
            set_run_snapshot_date(conn=conn, run_id=recorder.run_id, day=_wanted(imported) or date.today())
    return ImportOutcome(recorder.run_id, publication_id, report, loaded)


def _wanted(imported: DatasetImport) -> date | None:
    """The newest day the file supports (`ImportReport.supported_day`), else the given snapshot date."""
    return imported.report.supported_day() or imported.snapshot_date


def _loader(engine: Engine, imported: DatasetImport) -> Loader:
    """The import's load stage for `run_stages`: all-or-nothing staging and merge, then what was skipped."""

    def load(recorder: RunRecorder) -> Loaded:
        report, run_id = imported.report, recorder.run_id
        total = estimate_rows([path for path, _ in imported.parts])
        with recorder.stage("import") as stage, recorder.progress("import", total=total, unit="rows") as bar:
            loaded = _load_all_or_nothing(engine, imported, run_id, on_chunk=bar.set)
            stage.rows_in, stage.rows_out = report.rows_read, sum(loaded.values())
            stage.counts = {**report.counts(), **{f"loaded_{table}": n for table, n in loaded.items()}}
        _record_rejects(recorder, report)
        for note, count in sorted(report.notes.items()):
            logger.info("import run %s: %d x %s", run_id, count, note)
        wanted = _wanted(imported)
        if wanted is not None and report.last_observed_on and wanted < report.last_observed_on:
            recorder.warn(
                f"rows dated after {wanted} (up to {report.last_observed_on}) are loaded, but cover under half"
                f" of a full day of this file: the publication is not moved to them"
            )
        return Loaded(loaded, wanted)

    return load


def _load_all_or_nothing(
    engine: Engine, imported: DatasetImport, run_id: int, *, on_chunk: Callable[[int], object]
) -> dict[str, int]:
    """Stage each chunk, then merge the whole import, in one transaction: it commits whole or not at all.
    `on_chunk` gets the rows read so far after each staged chunk (the progress bar)."""
    report = imported.report
    try:
        with engine.begin() as conn:
            staged = StagedLoad(conn, run_id=run_id)
            for number, batch in enumerate(imported.batches, start=1):
                staged.add(batch)
                on_chunk(report.rows_read)
                logger.info(
                    "import run %s chunk %d staged: %d rows read (%d kept, %d skipped, %d bad)",
                    run_id, number, report.rows_read, report.rows_kept, report.rows_skipped, report.rows_rejected,
                )  # fmt: skip
            loaded = staged.merge()
    except DataQualityError as error:
        raise DataQualityError(f"{error}. Nothing from this import was loaded: every table is as before") from error
    logger.info("import run %s merged: %d rows changed", run_id, sum(loaded.values()))
    return loaded


def _record_rejects(recorder: RunRecorder, report: ImportReport) -> None:
    for rejected in report.rejected[:WARN_REJECTS]:
        recorder.warn(f"skipped malformed row: {rejected.file} line {rejected.line}: {rejected.reason}")
    if report.rows_rejected > WARN_REJECTS:
        recorder.warn(f"skipped {report.rows_rejected} malformed rows in all (the first {WARN_REJECTS} listed)")


def check_rejects_path(path: Path) -> None:
    """Fail before any run when the rejects file cannot be written (checked by writing to it, then undone)."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise DataQualityError(f"--rejects {path}: cannot write there ({error.strerror or error})") from error
    if not existed:
        path.unlink()


def write_rejects(report: ImportReport, path: Path) -> None:
    """All reported rejected rows as CSV (file, line, reason)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "reason"])
        writer.writerows((r.file, r.line, r.reason) for r in report.rejected)


def import_now(
    engine: Engine,
    path: Path,
    *,
    layout: str,
    snapshot_date: date | None,
    config: RunConfig,
    user: str,
    chunk_rows: int = CHUNK_ROWS,
    mapping: ColumnMap | None = None,
    rejects: Path | None = None,
) -> ImportOutcome:
    """The CLI entry: resolve layouts and check the rejects path first (a bad file, mapping or rejects path
    fails before any run), then run locked."""
    if rejects is not None:
        check_rejects_path(rejects)
    imported = read_dataset(path, layout, snapshot_date=snapshot_date, chunk_rows=chunk_rows, mapping=mapping)
    logger.info("importing %s", ", ".join(f"{file} as {name}" for file, name in imported.report.parts))
    with exclusive_run(engine, wait=True):
        outcome = import_dataset(engine, imported, trigger="cli", requested_by=user, config=config)
    if rejects is not None:
        write_rejects(outcome.report, rejects)
        logger.info("skipped rows written to %s", rejects)
    return outcome
