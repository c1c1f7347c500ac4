"""Fuzzy search over artists and tracks together (RapidFuzz), for the navbar box on every page.

    index = index_for(key, lambda: queries_morning.search_rows(conn=conn, publication_id=pid))
    index.search("neon hart")   # [Hit(kind='track', name='Neon Heart', artist='Kalo', ...), ...]

The index is built once per publication and process: entries are grouped by their normalised name, so a
keystroke scores each distinct name once (a catalogue repeats titles a lot), with `token_sort_ratio` (typos,
word order) and a prefix bonus for names or words that start with what was typed. Whole-name similarity, not
WRatio's partial match, so a song title finds the song and not every short artist name inside it. Identical
entries (same kind, name, main artist and genre) collapse into one hit with a count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process, utils

MIN_SCORE = 70
PREFIX_SCORE = 96.0  # a name starting with the query (3+ characters)
WORD_PREFIX_SCORE = 88.0  # one of its words starting with it
_KEEP = 3  # publications whose index stays cached per process
_INDEXES: dict[Hashable, SearchIndex] = {}  # insertion order = age
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Hit:
    kind: str  # "artist" or "track"
    entity_id: str
    name: str
    artist: str  # the track's main artist (the artist's own name for an artist)
    genre: str
    popularity: float | None
    score: float
    same: int = 1  # identical entries folded into this hit


class SearchIndex:
    def __init__(self, rows: pd.DataFrame) -> None:
        self.groups: dict[str, list[tuple[str, str, str, str, str, float | None]]] = {}
        for kind, entity_id, name, artist, genre, popularity in rows[
            ["kind", "id", "name", "artist_name", "genre", "popularity"]
        ].itertuples(index=False):
            key = utils.default_process(str(name))
            if key:
                pop = None if pd.isna(popularity) else float(popularity)
                self.groups.setdefault(key, []).append((kind, entity_id, name, artist or "", genre or "", pop))
        self.keys = list(self.groups)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.groups.values())

    def _names(self, query: str, limit: int) -> list[tuple[str, float]]:
        scored = {
            key: float(score)
            for key, score, _ in process.extract(
                query, self.keys, scorer=fuzz.token_sort_ratio, limit=limit, score_cutoff=MIN_SCORE
            )
        }
        if len(query) >= 3:
            for key in self.keys:
                if key.startswith(query):
                    scored[key] = max(scored.get(key, 0.0), PREFIX_SCORE + len(query) / max(len(key), 1) * 3)
                elif f" {query}" in f" {key}":
                    scored[key] = max(scored.get(key, 0.0), WORD_PREFIX_SCORE)
        return sorted(scored.items(), key=lambda kv: -kv[1])[:limit]

    def search(self, text: str | None, *, limit: int = 10) -> list[Hit]:
        """The best hits, best first; identical entries folded; nothing for a blank query."""
        query = utils.default_process(text or "")
        if not query:
            return []
        hits: dict[tuple[str, str, str, str], Hit] = {}
        for key, score in self._names(query, limit):
            entries = sorted(self.groups[key], key=lambda e: (-(e[5] if e[5] is not None else -1), e[1]))
            for kind, entity_id, name, artist, genre, pop in entries:
                fold = (kind, key, artist.lower(), genre.lower())
                if fold in hits:
                    hits[fold] = Hit(**{**hits[fold].__dict__, "same": hits[fold].same + 1})
                    continue
                hits[fold] = Hit(kind, entity_id, name, artist, genre, pop, round(score, 1))
        ranked = sorted(hits.values(), key=lambda h: (-h.score, -(h.popularity or -1), h.kind, h.entity_id))
        return ranked[:limit]


def index_for(publication_key: Hashable, loader: Callable[[], pd.DataFrame]) -> SearchIndex:
    """The publication's index, built at most once per publication in this process.

    The key is (publication id, published at): ids alone repeat when a database is rebuilt (tests, a reset).
    """
    with _LOCK:
        cached = _INDEXES.get(publication_key)
    if cached is not None:
        return cached
    index = SearchIndex(loader())
    with _LOCK:
        _INDEXES[publication_key] = index
        while len(_INDEXES) > _KEEP:
            _INDEXES.pop(next(iter(_INDEXES)))
    return index
