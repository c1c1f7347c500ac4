"""The extract stage of a refresh or backfill: ask the source for its batches and store each as it arrives.

`extract_and_load` calls `Source.extract_range` (jobs/sources/base.py) and loads each batch in its own
transaction (`jobs.load.load_batch`, with the run's id), together with the checkpoint the batch carries
(`SourceBatch.checkpoint`), so a crash loses no loaded day and a checkpoint never runs ahead of its rows.
The catalogue's stored hashes are read once for all the batches (`jobs.load_hashes.KnownHashes`), so a source
may send a big catalogue as several batches (the demo does) without re-reading them per batch.
Sources never touch storage: this is where what they return is stored. A batch's warnings and unavailable
metrics go to the run (`RunRecorder.warn`, `RunRecorder.metric_unavailable`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from jobs.load import load_batch
from jobs.load_hashes import KnownHashes
from jobs.runs import RunRecorder
from jobs.sources.base import Source, SourceBatch
from jobs.sources_store import save_checkpoint


def extract_and_load(
    engine: Engine, source: Source, dates: list[date], recorder: RunRecorder
) -> tuple[dict[str, int], tuple[date, date] | None]:
    """Extract `dates` (oldest first) from `source` and load every batch; return the rows changed per table and
    the first and last day the batches observed (None: no observation)."""
    loaded: dict[str, int] = {}
    observed: tuple[date, date] | None = None
    known = KnownHashes()  # the catalogue's stored hashes, read once for all the batches
    with recorder.stage("extract") as stage, recorder.progress("extract + load", total=len(dates), unit="days") as bar:
        for batch in source.extract_range(dates[0], dates[-1]):
            for warning in batch.warnings:
                recorder.warn(warning)
            for metric in batch.unavailable_metrics:
                recorder.metric_unavailable(source.name, metric)
            with engine.begin() as conn:
                counts = load_batch(conn=conn, batch=batch, run_id=recorder.run_id, known=known)
                if batch.checkpoint is not None:
                    save_checkpoint(conn=conn, checkpoint=batch.checkpoint, run_id=recorder.run_id)
            stage.rows_in += len(batch.observations) + len(batch.tracks) + len(batch.artists)
            if not batch.observations.empty:
                days = pd.to_datetime(batch.observations["observed_on"])
                first, last = days.min().date(), days.max().date()
                observed = (first, last) if observed is None else (min(observed[0], first), max(observed[1], last))
            for table, count in counts.items():
                loaded[table] = loaded.get(table, 0) + count
            bar.set(_days_done(dates, batch, bar.done), rows=bar.rows + len(batch.observations))
        stage.rows_out = sum(loaded.values())
        stage.counts = {f"loaded_{table}": count for table, count in loaded.items()}
    return loaded, observed


def _days_done(dates: list[date], batch: SourceBatch, before: int) -> int:
    """How many of the run's days are loaded once `batch` is (a batch may hold one day or a chunk of days)."""
    if batch.observations.empty:
        return before
    newest = pd.Timestamp(batch.observations["observed_on"].max()).date()
    return max(before, sum(1 for day in dates if day <= newest))
