"""Observation frames as narrow integer columns: dictionary codes, PostgreSQL days, one row per key.

    rows = coded_rows(conn=conn, frame=frame, cache=codes)   # {"entity", "metric", ...} arrays; codes: EntityCodes
    rows = last_per_key(rows)                   # sorted by the key, a repeated key keeps the frame's last row

`(entity_type, entity_id)` becomes an int4 from `observation_entities` and metric and source names int2 codes
(new ones are added in the caller's transaction, so a rollback removes them too). Every text column is
factorised once on its own (pyarrow) storage, so no Python object is made per row; only the distinct ids
travel to the server. The dictionary's INSERT of new ids (about 3 us a row for its two unique indexes, 0.3 s
for the 98k ids of a cold 1M-row load) runs on the transaction's connection from a worker thread (`Pending`)
while this process codes the days and sorts the rows, so client and server work overlap on two cores.
Used by `jobs.observation_load.ObservationWriter`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from core.columnar import packed_bytea
from jobs.binary_copy import pg_days
from jobs.copy_frames import copy_csv, copy_frame, csv_payload
from jobs.errors import DataQualityError
from jobs.pending_sql import Pending

CODE_TABLES = {"metric": "observation_metrics", "source": "observation_sources"}
STAGE = "_staged_entities"
NEW_COLUMNS = ["entity", "entity_type", "entity_id"]
WHAT = "entity dictionary ids"  # in the error of a row count that does not match (cannot happen under the lock)
Rows = dict[str, np.ndarray]
SMALL_OFFSETS = 2**31 - 1  # a text column within this many bytes fits Arrow's 32-bit string offsets


def name_codes(*, conn: Connection, table: str, code: str, names: np.ndarray) -> dict[str, int]:
    """The int2 code of each (distinct) metric or source name, adding the names not coded yet."""
    distinct = sorted(str(name) for name in names)
    conn.execute(
        text(f"INSERT INTO {table} (name) SELECT unnest(CAST(:names AS text[])) ORDER BY 1 ON CONFLICT DO NOTHING"),
        {"names": distinct},
    )
    rows = conn.execute(text(f"SELECT name, {code} FROM {table} WHERE name = ANY(:names)"), {"names": distinct})
    return {name: int(value) for name, value in rows}


def entity_codes(*, conn: Connection, entity_type: str, ids: np.ndarray) -> np.ndarray:
    """The int4 entity of each of `ids` (distinct), adding the ones not in the dictionary yet."""
    return dictionary_codes(conn=conn, ids={entity_type: ids})[entity_type]


def dictionary_codes(
    *, conn: Connection, ids: dict[str, np.ndarray], pending: Pending | None = None
) -> dict[str, np.ndarray]:
    """The int4 entity of each id of each type (`ids[type]` distinct), adding the ones not in the dictionary yet.

    All types share one stage (positions in `ids`' order), so known ids are looked up in one join. New ones are
    added under a lock on the dictionary (SHARE ROW EXCLUSIVE until commit: another writer of new ids waits;
    readers and lookups of known ids do not), looked up once more from the same stage (a run may have added
    some before the lock), and given codes reserved from its identity in the stage's order (so per type, in
    `ids`' order), then added by one INSERT ... SELECT from the stage. With `pending`, that INSERT runs in its
    thread and the codes come back at once: the caller codes the rest of its rows meanwhile and must `wait`
    before its next statement (the stage is reused)."""
    for entity_type in ids:
        if entity_type not in ("artist", "track"):
            raise ValueError(f"entity_type must be 'artist' or 'track', not {entity_type!r}")
    types = list(ids)
    total = sum(len(values) for values in ids.values())
    in_order = {"entity_type": np.repeat(types, [len(ids[t]) for t in types]),
                "entity_id": np.concatenate([np.asarray(ids[t], dtype=object) for t in types])}  # fmt: skip
    if not _any_of(conn, types):  # none of these types coded yet (a first backfill): no stage, no lookups
        conn.execute(text("LOCK TABLE observation_entities IN SHARE ROW EXCLUSIVE MODE"))
        if not _any_of(conn, types):  # still none under the lock: every id is new, COPYed in with its code
            first = _reserve(conn, total)
            frame = pd.DataFrame({"entity": np.arange(first, first + total), **in_order})
            payload = csv_payload(frame, NEW_COLUMNS)  # built here: the worker thread only sends it
            (pending or Pending()).start(conn, lambda driver: _copy_new(driver, payload, total), expected=total,
                                         what=WHAT)  # fmt: skip
            return _split(np.arange(first, first + total, dtype=np.int32), ids)
    conn.execute(
        text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (i integer, entity_type text, entity_id text) ON COMMIT DROP")
    )
    conn.execute(text(f"TRUNCATE {STAGE}"))
    copy_frame(conn=conn, table=STAGE, frame=pd.DataFrame({"i": np.arange(total), **in_order}),
               columns=["i", "entity_type", "entity_id"])  # fmt: skip
    codes = _staged_codes(conn, total)
    if (codes < 0).any():
        conn.execute(text("LOCK TABLE observation_entities IN SHARE ROW EXCLUSIVE MODE"))
        codes = _staged_codes(conn, total)
        new = np.flatnonzero(codes < 0)
        codes[new] = _add(conn, len(new), every=len(new) == total, pending=pending or Pending())
    return _split(codes, ids)


def _split(codes: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Codes in `ids`' order (type after type) cut back into one array per type."""
    bounds = np.cumsum([0, *(len(values) for values in ids.values())])
    return {t: codes[bounds[k] : bounds[k + 1]] for k, t in enumerate(ids)}


def _any_of(conn: Connection, types: list[str]) -> bool:
    """Whether the dictionary has any entity of these types (one probe of its unique index)."""
    query = "SELECT EXISTS (SELECT 1 FROM observation_entities WHERE entity_type = ANY(CAST(:types AS text[])))"
    return bool(conn.execute(text(query), {"types": types}).scalar_one())


def _copy_new(driver: Any, payload: memoryview, n_ids: int) -> int:
    """COPY new ids with their reserved codes straight into the dictionary (a `csv_payload` of NEW_COLUMNS)."""
    copy_csv(driver, "observation_entities", NEW_COLUMNS, [payload])
    return n_ids


def _reserve(conn: Connection, n_new: int) -> int:
    """The first of `n_new` codes reserved from the dictionary's identity (the caller holds its lock)."""
    last = conn.execute(
        text("SELECT setval(CAST(:seq AS regclass), nextval(CAST(:seq AS regclass)) + :n - 1)"),
        {"seq": "observation_entities_entity_seq", "n": n_new},
    ).scalar_one()
    return int(last) - n_new + 1


def _staged_codes(conn: Connection, n_ids: int) -> np.ndarray:
    """The code of each staged id (by its position), -1 where the dictionary has none."""
    # Byteas of big-endian (position, code) int4 pairs, one per 2**15 positions: parsed by numpy, no sort.
    packed = packed_bytea(
        conn, "int4send(s.i) || int4send(e.entity)",
        f"{STAGE} s JOIN observation_entities e ON e.entity_type = s.entity_type AND e.entity_id = s.entity_id",
        "s.i >> 15",
    )  # fmt: skip
    pairs = np.frombuffer(packed, dtype=">i4").reshape(-1, 2)
    codes = np.full(n_ids, -1, dtype=np.int32)
    codes[pairs[:, 0]] = pairs[:, 1]
    return codes


def _add(conn: Connection, n_new: int, *, every: bool, pending: Pending) -> np.ndarray:
    """Reserve `n_new` codes from the dictionary's identity and add the staged ids it lacks with them, in the
    stage's order, by one INSERT ... SELECT from the stage (the ids are not sent again), run by `pending`;
    return the codes, in that order. `every`: no staged id is known, so a staged id's code is the first plus its
    position (no ranking, no anti-join). The caller holds the dictionary's lock, so the reserved range is this
    transaction's alone and the ids missing are exactly the ones its lookup under the lock found missing."""
    first = _reserve(conn, n_new)
    code = "s.i" if every else "row_number() OVER (ORDER BY s.i) - 1"
    missing = "" if every else (
        " WHERE NOT EXISTS (SELECT 1 FROM observation_entities e"
        "  WHERE e.entity_type = s.entity_type AND e.entity_id = s.entity_id)"
    )  # fmt: skip
    insert = (
        "INSERT INTO observation_entities (entity, entity_type, entity_id)"
        f" SELECT CAST(%(first)s + {code} AS integer), s.entity_type, s.entity_id FROM {STAGE} s{missing}"
    )
    pending.start(conn, lambda driver: driver.execute(insert, {"first": first}).rowcount, expected=n_new, what=WHAT)
    return np.arange(first, first + n_new, dtype=np.int32)


def _factorized(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, distinct values) of a column; a missing value is refused, as NOT NULL refused it."""
    values = frame[column]
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        # Arrow's own hash on its storage (no copy): pandas' factorize wraps the same kernel at 2-5x its cost
        arrow = pa.array(values)
        arrow = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
        if pa.types.is_large_string(arrow.type) and arrow.nbytes < SMALL_OFFSETS:
            arrow = arrow.cast(pa.string())  # 32-bit offsets: Arrow hashes them at half the cost (0.03 s of 0.06)
        encoded = pc.dictionary_encode(arrow)
        if encoded.null_count == 0:
            return encoded.indices.to_numpy(), encoded.dictionary.to_numpy(zero_copy_only=False)
    positions, uniques = pd.factorize(values)
    if len(positions) and positions.min() < 0:
        missing = int((positions < 0).sum())
        raise DataQualityError(f"{missing} observation(s) have no {column}: nothing was loaded")
    return positions, np.asarray(uniques, dtype=object)


class EntityCodes:
    """The entity codes one writer has already looked up (valid for its transaction), so the batches of a
    backfill or an import code each id once: `codes(conn, {type: ids})` asks the dictionary only for the rest.
    `pending` is the dictionary's INSERT of new ids when it was deferred (`codes(..., defer=True)`)."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[pd.Index, np.ndarray]] = {}
        self.pending = Pending(deferred=True)

    def codes(self, conn: Connection, ids: dict[str, np.ndarray], *, defer: bool = False) -> dict[str, np.ndarray]:
        self.pending.wait()
        coded, missing = {}, {}
        for entity_type, values in ids.items():
            index, known = self.known.get(entity_type, (pd.Index([], dtype=object), np.empty(0, dtype=np.int32)))
            position = index.get_indexer(values)
            coded[entity_type] = known[position] if len(known) else np.full(len(values), -1, dtype=np.int32)
            missing[entity_type] = position < 0
        asked = {entity_type: ids[entity_type][mask] for entity_type, mask in missing.items() if mask.any()}
        if asked:
            found = dictionary_codes(conn=conn, ids=asked, pending=self.pending if defer else None)
            for entity_type, new in found.items():
                coded[entity_type][missing[entity_type]] = new
                index, known = self.known.get(entity_type, (pd.Index([], dtype=object), np.empty(0, dtype=np.int32)))
                self.known[entity_type] = (index.append(pd.Index(asked[entity_type], dtype=object)),
                                           np.concatenate([known, new]))  # fmt: skip
        return coded


def _entity_pairs(frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(the pair of each row, the ids of each type's pairs in pair order): each distinct (type, id) pair once."""
    type_of_row, types = _factorized(frame, "entity_type")
    id_of_row, ids = _factorized(frame, "entity_id")
    if (blank := np.flatnonzero(ids == "")).size:  # the dictionary's stage would read it as NULL: refuse it plainly
        raise DataQualityError(
            f"{int((id_of_row == blank[0]).sum())} observation(s) have an empty entity_id: nothing was loaded"
        )
    type_of_id = np.zeros(len(ids), dtype=type_of_row.dtype)
    type_of_id[id_of_row] = type_of_row
    if (type_of_id[id_of_row] == type_of_row).all():  # each id of one kind (as sources name them): id = pair
        pair_of_row, pair_type, pair_id = id_of_row, type_of_id, np.arange(len(ids))
    else:  # an id shared by an artist and a track: one pair each, by a second hash pass
        pair_of_row, pairs = pd.factorize(id_of_row.astype(np.int64) * len(types) + type_of_row)
        pair_type, pair_id = pairs % len(types), pairs // len(types)
    order = np.argsort(pair_type, kind="stable")  # pairs grouped by type, in pair order within a type
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    grouped = {str(entity_type): ids[pair_id[pair_type == index]] for index, entity_type in enumerate(types)}
    return rank[pair_of_row], grouped


def coded_rows(*, conn: Connection, frame: pd.DataFrame, cache: EntityCodes | None = None, wait: bool = True) -> Rows:
    """The frame (OBSERVATION_COLUMNS) as narrow columns, observed_on as PostgreSQL days (since 2000-01-01).

    The dictionary's INSERT of new ids runs while the days and values are coded; with `wait=False` it may
    still run on return, and the caller must `cache.pending.wait()` before its next statement."""
    cache = cache or EntityCodes()
    pair_of_row, ids = _entity_pairs(frame)
    rows: Rows = {}
    for column, table in CODE_TABLES.items():
        positions, names = _factorized(frame, column)
        mapping = name_codes(conn=conn, table=table, code=column, names=names)
        rows[column] = np.array([mapping[str(name)] for name in names], dtype=np.int16)[positions]
    codes = cache.codes(conn, ids, defer=True)
    with cache.pending.meanwhile():  # no statement until the INSERT is waited for: numpy only
        entity_of_pair = np.concatenate([codes[entity_type] for entity_type in ids] or [np.empty(0, np.int32)])
        rows = {"entity": entity_of_pair[pair_of_row], **rows}
        positions, days = _factorized(frame, "observed_on")
        rows["observed_on"] = pg_days(pd.to_datetime(pd.Series(days)).to_numpy())[positions]
        rows["value"] = pd.to_numeric(frame["value"]).to_numpy(dtype=np.float64, na_value=np.nan)
        missing = int(np.isnan(rows["value"]).sum())
        if missing:  # `value` is NOT NULL: refused, as the wide table's constraint refused it
            raise DataQualityError(f"{missing} observation(s) have no value (NULL or NaN): nothing was loaded")
    if wait:
        cache.pending.wait()
    return rows


def last_per_key(rows: Rows) -> Rows:
    """The rows sorted by the primary key (entity, metric, source, observed_on), one per key: of rows with the
    same key the frame's last is kept (as `drop_duplicates(keep="last")` did on the text columns)."""
    # Codes are positive (identities) and metric and source are int2: one int64 orders (entity, metric, source).
    entity, metric, source = (rows[name].astype(np.int64) for name in ("entity", "metric", "source"))
    day = rows["observed_on"]
    if len(day) == 0:
        return rows
    span = int(day.max()) - int(day.min())
    if (
        max(int(metric.max()), int(source.max())) < 256
        and min(int(metric.min()), int(source.min())) >= 0
        and span < 65_536
    ):
        # the usual case: small metric and source codes and days within 179 years fit one int64 with the entity
        key = (entity << 32) | (metric << 24) | (source << 16) | (day.astype(np.int64) - int(day.min()))
        order = np.argsort(key, kind="stable")  # stable: equal keys stay in frame order
        parts = [key[order]]
    else:
        head = (entity << 32) | (metric << 16) | source
        order = np.lexsort((day, head))  # stable, as above
        parts = [head[order], day[order]]
    last = np.ones(len(order), dtype=bool)  # a row is its key's last when the next row's key differs
    last[:-1] = np.logical_or.reduce([part[1:] != part[:-1] for part in parts])
    kept = order if last.all() else order[last]
    return {name: values[kept] for name, values in rows.items()}
