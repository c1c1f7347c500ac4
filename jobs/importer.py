"""Import a dataset file (or a directory of them) as one run: chunked loads, then aggregate + publish.

    python -m jobs import PATH [--layout auto|spotify-600k|...] [--snapshot-date D] [--rejects FILE]

The run is a `job_runs` row of kind 'import' (source 'dataset'). Each chunk is loaded in its own transaction
with `jobs.load.load_batch` (idempotent merges), so re-importing a file changes no row, and a progress line
is logged per chunk. Malformed rows are reported (file, line, reason) in the log, in the run's warnings
(the first few) and, with `--rejects FILE`, all of them as CSV. The dashboard tables are then published
for the last day the import observed, with the refresh pipeline's own aggregate + publish step.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from jobs.load import load_batch
from jobs.pipeline import RunConfig, exclusive_run, score_and_publish
from jobs.progress import estimate_rows
from jobs.runs import RunRecorder, recorded_run
from jobs.sources.dataset import CHUNK_ROWS, DatasetImport, DatasetSource, ImportReport, read_dataset
from jobs.sources_store import analyze_loaded_tables, set_run_snapshot_date

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
    """Load every batch of `imported`, then publish. The caller holds the run lock (see `import_now`)."""
    source = DatasetSource()
    report = imported.report
    loaded: dict[str, int] = {}
    with recorded_run(
        engine, kind="import", trigger=trigger, source=source.name, snapshot_date=imported.snapshot_date,
        requested_by=requested_by,
    ) as recorder:  # fmt: skip
        run_id = recorder.run_id
        total = estimate_rows([path for path, _ in imported.parts])
        with recorder.stage("import") as stage, recorder.progress("import", total=total, unit="rows") as bar:
            for number, batch in enumerate(imported.batches, start=1):
                with engine.begin() as conn:
                    counts = load_batch(conn=conn, batch=batch, run_id=run_id)
                for table, count in counts.items():
                    loaded[table] = loaded.get(table, 0) + count
                bar.set(report.rows_read)
                logger.info(
                    "import run %s chunk %d: %d rows read (%d kept, %d skipped, %d bad), %d rows changed",
                    run_id, number, report.rows_read, report.rows_kept, report.rows_skipped,
                    report.rows_rejected, sum(loaded.values()),
                )  # fmt: skip
            stage.rows_in, stage.rows_out = report.rows_read, sum(loaded.values())
            stage.counts = {**report.counts(), **{f"loaded_{table}": n for table, n in loaded.items()}}
        _record_rejects(recorder, report)
        for note, count in sorted(report.notes.items()):
            logger.info("import run %s: %d x %s", run_id, count, note)
        if sum(loaded.values()):
            with engine.begin() as conn:
                analyze_loaded_tables(conn=conn)
        publish_on = report.last_observed_on or imported.snapshot_date or date.today()
        with engine.begin() as conn:
            set_run_snapshot_date(conn=conn, run_id=run_id, day=publish_on)
        publication_id = score_and_publish(engine, source, publish_on, recorder, config, loaded)
    return ImportOutcome(run_id, publication_id, report, loaded)


def _record_rejects(recorder: RunRecorder, report: ImportReport) -> None:
    for rejected in report.rejected[:WARN_REJECTS]:
        recorder.warn(f"skipped malformed row: {rejected.file} line {rejected.line}: {rejected.reason}")
    if report.rows_rejected > WARN_REJECTS:
        recorder.warn(f"skipped {report.rows_rejected} malformed rows in all (the first {WARN_REJECTS} listed)")


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
) -> ImportOutcome:
    """The CLI entry: resolve layouts first (an unknown file fails before any run), then run locked."""
    imported = read_dataset(path, layout, snapshot_date=snapshot_date, chunk_rows=chunk_rows)
    logger.info("importing %s", ", ".join(f"{file} as {name}" for file, name in imported.report.parts))
    with exclusive_run(engine, wait=True):
        return import_dataset(engine, imported, trigger="cli", requested_by=user, config=config)
