"""What an import did: rows read, kept, skipped and rejected (file, line, why), notes, and observations per day.

Filled by `jobs.sources.dataset` while the batches are read; the importer and the CLI report from it, and the
importer picks the publication date from its observations per day (`supported_day`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

MAX_REPORTED_REJECTS = 10_000
SUPPORTED_SHARE = 0.5  # a day is "supported" when it holds at least this share of the busiest day's observations


@dataclass(frozen=True)
class Rejected:
    file: str
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did, filled while its batches are consumed."""

    parts: list[tuple[str, str]] = field(default_factory=list)  # (file, layout)
    rows_read: int = 0
    rows_kept: int = 0
    rows_skipped: int = 0  # dropped on purpose (e.g. a superseded snapshot), not malformed
    rows_rejected: int = 0
    rejected: list[Rejected] = field(default_factory=list)  # the first MAX_REPORTED_REJECTS
    notes: Counter[str] = field(default_factory=Counter)
    per_day: Counter[date] = field(default_factory=Counter)  # observations kept, per observed day

    @property
    def first_observed_on(self) -> date | None:
        return min(self.per_day) if self.per_day else None

    @property
    def last_observed_on(self) -> date | None:
        return max(self.per_day) if self.per_day else None

    def reset(self) -> None:
        """Zero the counts in place (reading the batches again starts a fresh report, same object)."""
        self.rows_read = self.rows_kept = self.rows_skipped = self.rows_rejected = 0
        self.rejected.clear()
        self.notes.clear()
        self.per_day.clear()

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejected) < MAX_REPORTED_REJECTS:
            self.rejected.append(Rejected(file, line, reason))

    def observed(self, days: list[date]) -> None:
        """Count one observation on each of `days` (one entry per observation)."""
        self.per_day.update(days)

    def supported_day(self) -> date | None:
        """The newest day holding at least `SUPPORTED_SHARE` of the busiest day's observations: a file of old
        history with a few newer rows is published as of its last well-covered day, not its newest row."""
        if not self.per_day:
            return None
        need = SUPPORTED_SHARE * max(self.per_day.values())
        return max(day for day, count in self.per_day.items() if count >= need)

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read, "rows_kept": self.rows_kept,
            "rows_skipped": self.rows_skipped, "rows_rejected": self.rows_rejected,
        }  # fmt: skip
