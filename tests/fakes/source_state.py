"""An in-memory `SourceState` (jobs/sources/base.py): run a source with no database at all, to show that it
returns records and stores nothing itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from jobs.sources.base import Checkpoint, WatchItem


@dataclass
class MemoryState:
    watched: list[WatchItem] = field(default_factory=list)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    asked: list[list[str]] = field(default_factory=list)  # each known_artist_ids question, for assertions

    def watchlist(self) -> list[WatchItem]:
        return list(self.watched)

    def checkpoint(self, source: str) -> Checkpoint | None:
        return self.checkpoints.get(source)

    def known_artist_ids(self, artist_ids: list[str]) -> set[str]:
        self.asked.append(sorted(artist_ids))
        return self.known & set(artist_ids)
