"""Which catalogue rows of a batch the loader sends, by `source_hash` (migration 0024), for every batch of a load.

    known = KnownHashes()                                   # one per load: an extract's batches, or one StagedLoad
    send = known.to_send(conn=conn, table="tracks", hashes=row_hash, keys=key_hash)   # bool per row

A row is sent unless its hash was stored when the load first had rows for its table AND no earlier batch of the
load sent a row of its key. The stored hashes are read once per table and load (packed byteas, sorted for
binary search), not once per batch: a 1M-track demo catalogue comes as several batches, each committed in its
own transaction, and re-reading its ~7M stored hashes for each made the extract 1.8x slower. They go stale only
for the keys the load itself sent (runs are serialised by the run lock): those keys' later rows are always sent,
so a later batch still overrides an earlier batch's version of its key (the last version wins, as before). Key
hashes that collide only send a row that could have been skipped; the merge then finds it unchanged.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection

from core.columnar import packed_bytea

SOURCE_HASH = "source_hash"
MAX_RUNS = 16  # sorted runs of sent keys kept per table before they are merged into one


def stored_hashes(*, conn: Connection, table: str) -> np.ndarray:
    """The `source_hash` of every row of `table` that has one: byteas of big-endian int8s (`packed_bytea`, one
    per top byte of the hash), parsed by numpy (a COPY out would hand Python one message per row: 1 s for the
    700k rows of a 100k-track catalogue)."""
    packed = packed_bytea(conn, f"int8send({SOURCE_HASH})", f"{table} WHERE {SOURCE_HASH} IS NOT NULL",
                          f"{SOURCE_HASH} >> 56")  # the hash's top byte: 256 groups  # fmt: skip
    return np.frombuffer(packed, dtype=">i8").astype(np.int64)


def _members(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in the sorted array `ordered`. The values are searched in sorted order:
    numpy's binary search then starts each search where the last ended, so it walks `ordered` once instead of
    missing the cache at every probe (3.6x less CPU for 500k hashes against 4.2M, a 1M catalogue's batch)."""
    found = np.zeros(len(values), dtype=bool)
    if not len(ordered) or not len(values):
        return found
    order = np.argsort(values)
    needles = values[order]
    at = np.minimum(np.searchsorted(ordered, needles), len(ordered) - 1)
    found[order] = ordered[at] == needles
    return found


class KnownHashes:
    """Per table: the hashes stored at the load's start (sorted) and the key hashes its batches sent (sorted runs,
    one per batch that sent any)."""

    def __init__(self) -> None:
        self.stored: dict[str, np.ndarray] = {}
        self.sent: dict[str, list[np.ndarray]] = {}

    def to_send(self, *, conn: Connection, table: str, hashes: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Which rows (their `hashes`, and `keys`: a hash of each row's key) to send; records the keys sent."""
        if table not in self.stored:
            self.stored[table] = np.sort(stored_hashes(conn=conn, table=table))
        send = ~_members(self.stored[table], hashes)
        for run in self.sent.get(table, []):
            send |= _members(run, keys)
        if send.any():
            runs = self.sent.setdefault(table, [])
            runs.append(np.unique(keys[send]))
            if len(runs) > MAX_RUNS:  # a long backfill of daily batches: one run again
                runs[:] = [np.unique(np.concatenate(runs))]
        return send
