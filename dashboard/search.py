"""Fuzzy artist search (rapidfuzz) over the names of the current publication.

Names are read once per publication and worker (a few thousand strings), then every keystroke is a
pure in-memory match: typos, missing accents and word order still find the artist.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from rapidfuzz import fuzz, process, utils

MIN_SCORE = 60
_KEEP = 3  # publications whose names stay cached per process
_NAMES: dict[Hashable, dict[str, str]] = {}  # insertion order = age
_LOCK = threading.Lock()


def search_names(query: str, names: dict[str, str], *, limit: int = 8) -> list[tuple[str, str, float]]:
    """Best matches of `query` as (artist_id, name, score 0-100), best first; nothing for a blank query."""
    query = (query or "").strip()
    if not query or not names:
        return []
    matches = process.extract(
        query, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=MIN_SCORE
    )
    return [(artist_id, name, round(float(score), 1)) for name, score, artist_id in matches]


def names_for(publication_key: Hashable, loader: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The publication's {artist_id: name}, loaded at most once per publication in this process.

    The key is (publication id, published at): ids alone repeat when a database is rebuilt (tests, a reset).
    """
    with _LOCK:
        cached = _NAMES.get(publication_key)
    if cached is not None:
        return cached
    names = loader()
    with _LOCK:
        _NAMES[publication_key] = names
        while len(_NAMES) > _KEEP:
            _NAMES.pop(next(iter(_NAMES)))
    return names
