"""Fuzzy search over artists and tracks together (RapidFuzz), for the navbar box on every page.

    index = index_for(key, lambda: queries_morning.search_rows(conn=conn, publication_id=pid))
    index.search("neon hart")   # [Hit(kind='track', name='Neon Heart', artist='Kalo', ...), ...]

The index is built once per publication and process: entries are grouped by their normalised name (a catalogue
repeats titles a lot), and a keystroke scores only the distinct names that share a word start with the query
(the prefilter), with token_sort_ratio (typos, word order) and a prefix bonus for names or words that start
with what was typed. `python -m bench.bench_search` measures it on 120,000 names. Whole-name similarity, not
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
    """Entries grouped by normalised name; each name also under the first two letters of each of its words.

    A keystroke scores only the names sharing a word start with the query (a typo rarely hits the first two
    letters), with `fuzz.ratio` on word-sorted text (= token_sort_ratio, sorted once at build time).
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self.groups: dict[str, list[tuple[str, str, str, str, str, float | None]]] = {}
        popularity = pd.to_numeric(rows["popularity"], errors="coerce").astype(float).tolist()
        names = rows["name"].astype(str).tolist()
        keys = [utils.default_process(name) for name in names]
        columns = [rows[c].tolist() for c in ("kind", "id", "artist_name", "genre")]
        for key, kind, entity_id, name, artist, genre, pop in zip(
            keys, columns[0], columns[1], names, columns[2], columns[3], popularity, strict=True
        ):
            if key:
                entry = (kind, entity_id, name, artist or "", genre or "", None if pop != pop else float(pop))
                self.groups.setdefault(key, []).append(entry)
        self.keys = list(self.groups)
        self.sorted_words = [" ".join(sorted(key.split())) for key in self.keys]
        self.by_start: dict[str, list[int]] = {}
        for position, key in enumerate(self.keys):
            for start in {word[:2] for word in key.split()}:
                self.by_start.setdefault(start, []).append(position)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.groups.values())

    def _candidates(self, query: str) -> list[int]:
        found: set[int] = set()
        for word in query.split():
            found.update(self.by_start.get(word[:2], ()))
        return sorted(found)

    def _names(self, query: str, limit: int) -> list[tuple[str, float]]:
        candidates = self._candidates(query)
        sorted_query = " ".join(sorted(query.split()))
        matches = process.extract(
            sorted_query, [self.sorted_words[i] for i in candidates], scorer=fuzz.ratio, processor=None,
            limit=limit, score_cutoff=MIN_SCORE,
        )  # fmt: skip
        scored = {self.keys[candidates[at]]: float(score) for _, score, at in matches}
        if len(query) >= 3:
            for i in candidates:
                key = self.keys[i]
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
