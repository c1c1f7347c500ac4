"""A small in-process LRU of what a callback computed from one publication, keyed by that publication.

A publication never changes once committed, so whatever a callback builds from its rows (a figure, dropdown
options, a grid's short list) is the same for the same (publication, filters) until a newer publication exists.
The key holds the publication's id and `published_at` (ids repeat when a database is rebuilt): a new publication
is a new key, so nothing is ever served stale by time, and old entries simply age out of the LRU.

    figure = publication_cache.get_or_build(("artists", publication, genre, order, top), lambda: build(...))

Per gunicorn worker, thread-safe; two threads missing the same key may both build it (the result is the same).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 1024  # figures, grid blocks and short lists: tens of KB each at most

_ENTRIES: OrderedDict[Hashable, Any] = OrderedDict()
_LOCK = threading.Lock()


def publication_key(publication: Any) -> tuple[int, Any]:
    """(publication id, published at) of a `queries.Publication`."""
    return (publication.publication_id, publication.published_at)


def get_or_build(key: Hashable, build: Callable[[], T]) -> T:
    """The cached value for `key`, else `build()` stored under it (the least recently used entry goes)."""
    with _LOCK:
        if key in _ENTRIES:
            _ENTRIES.move_to_end(key)
            return _ENTRIES[key]  # type: ignore[no-any-return]
    value = build()
    with _LOCK:
        _ENTRIES[key] = value
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything (tests)."""
    with _LOCK:
        _ENTRIES.clear()
