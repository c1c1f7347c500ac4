"""Progress of a long step: a tqdm bar with an ETA on a terminal, plain log lines without one, and the run's row.

    with Progress("backfill", total=90, unit="days", sink=recorder.report_progress) as bar:
        for day in days:
            ...
            bar.update()

On a terminal (stderr is a tty) the bar shows done/total, the rate and the ETA, and log lines are routed
around it. Without a terminal (the worker, CI, a pipe) it logs one plain line at most every `log_every`
seconds, and at the end. Steps can carry rows (`bar.update(1, rows=n)`: a day of 40,000 observations).
The optional `sink(progress)` sees every update; `RunRecorder.report_progress` writes it to
`job_runs.progress` (throttled), which the Admin, Morning and Model pages poll.

Optuna has no global trial hook and `model/` knows nothing of progress, so `optuna_trials(bar)` adds one
callback to every `Study.optimize` call made inside it: each finished or pruned trial is one step.
"""

from __future__ import annotations

import gzip
import logging
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

logger = logging.getLogger(__name__)

Sink = Callable[["Progress"], None]


class Progress:
    """Counts steps of one task and shows them (see the module docstring)."""

    def __init__(
        self,
        desc: str,
        *,
        total: int | None = None,
        unit: str = "rows",
        sink: Sink | None = None,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        log_every: float = 10.0,
    ) -> None:
        self.desc, self.total, self.unit, self.sink = desc, total, unit, sink
        self.done = self.rows = 0
        self.log_every = log_every
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty() if interactive is None else interactive
        self._started = self._last_log = time.monotonic()
        self._bar: Any = None
        self._stack = ExitStack()

    def __enter__(self) -> Progress:
        if self._interactive:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit=f" {self.unit}", file=self._stream)
            self._stack.enter_context(logging_redirect_tqdm())
        self._emit()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close(failed=kind is not None)

    def update(self, steps: int = 1, *, rows: int = 0) -> None:
        self.set(self.done + steps, rows=self.rows + rows)

    def set(self, done: int, total: int | None = None, *, rows: int | None = None) -> None:
        """Set the absolute count (and the total, when it becomes known; the rows, when steps carry rows)."""
        if rows is not None:
            self.rows = rows
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
        if self._bar is not None:
            self._bar.update(done - self.done)
        self.done = done
        self._emit()
        if self._bar is None and time.monotonic() - self._last_log >= self.log_every:
            self._log_line()

    def close(self, *, failed: bool = False) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._stack.close()
        if not failed:
            self._log_line(final=True)

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far (None while unknown)."""
        elapsed = time.monotonic() - self._started
        if not self.total or self.done <= 0:
            return None
        return max(0.0, elapsed / self.done * (self.total - self.done))

    def _emit(self) -> None:
        if self.sink is not None:
            self.sink(self)

    def _log_line(self, *, final: bool = False) -> None:
        self._last_log = time.monotonic()
        elapsed = self._last_log - self._started
        of_total = f" of {self.total:,}" if self.total else ""
        eta = self.eta_seconds()
        tail = f" in {elapsed:.0f} s" if final else f", {elapsed:.0f} s so far"
        if eta is not None and not final:
            tail += f", about {eta:.0f} s left"
        rows = f" ({self.rows:,} rows)" if self.rows and self.unit != "rows" else ""
        logger.info("%s: %s%s %s%s%s", self.desc, f"{self.done:,}", of_total, self.unit, rows, tail)


def estimate_rows(paths: list[Path]) -> int | None:
    """Data rows in CSV files (.csv or .csv.gz): lines minus each header, so a bar can show an ETA.
    Quoted fields with newlines make it an overestimate; about ten times faster than parsing. A file that cannot
    be read to its end (truncated gzip, unreadable) gives None: no ETA, and the import's own reader reports it."""
    total = 0
    try:
        for path in paths:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            total += max(0, lines - 1)
    except (OSError, EOFError, zlib.error):
        return None
    return total


@contextmanager
def optuna_trials(progress: Progress) -> Iterator[Progress]:
    """Count every Optuna trial that ends (complete, pruned or failed) inside the block as one step."""
    import optuna

    original: Any = optuna.study.Study.optimize

    def optimize(study: optuna.study.Study, *args: Any, **kwargs: Any) -> None:
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), lambda _study, _trial: progress.update()]
        original(study, *args, **kwargs)

    optuna.study.Study.optimize = optimize  # type: ignore[method-assign,assignment]
    try:
        yield progress
    finally:
        optuna.study.Study.optimize = original  # type: ignore[method-assign]
