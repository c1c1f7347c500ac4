"""Observation frames as narrow integer columns: dictionary codes, PostgreSQL days, one row per key.

    rows = coded_rows(conn=conn, frame=frame, cache=codes)   # {"entity", "metric", ...} arrays; codes: EntityCodes
    rows = last_per_key(rows)                   # sorted by the key, a repeated key keeps the frame's last row

`(entity_type, entity_id)` becomes an int4 from `observation_entities` and metric and source names int2 codes
(new ones are added in the caller's transaction, so a rollback removes them too). Every text column is
factorised once on its own (pyarrow) storage, so no Python object is made per row; only the distinct ids
travel to the server. Used by `jobs.observation_load.ObservationWriter`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from jobs.binary_copy import pg_days
from jobs.copy_frames import copy_frame
from jobs.errors import DataQualityError

CODE_TABLES = {"metric": "observation_metrics", "source": "observation_sources"}
STAGE = "_staged_entities"
Rows = dict[str, np.ndarray]


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
    """The int4 entity of each of `ids` (distinct), adding the ones not in the dictionary yet.

    Known ids are looked up in one join. New ones are added under a lock on the dictionary (SHARE ROW
    EXCLUSIVE until commit: another writer of new ids waits; readers and lookups of known ids do not), looked
    up once more from the same stage (a run may have added some before the lock), then COPYed in with codes
    reserved from its identity in one call: a plain COPY instead of a speculative INSERT ... ON CONFLICT."""
    if entity_type not in ("artist", "track"):
        raise ValueError(f"entity_type must be 'artist' or 'track', not {entity_type!r}")
    conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (i integer, entity_id text) ON COMMIT DROP"))
    conn.execute(text(f"TRUNCATE {STAGE}"))
    copy_frame(conn=conn, table=STAGE, frame=pd.DataFrame({"i": np.arange(len(ids)), "entity_id": ids}),
               columns=["i", "entity_id"])  # fmt: skip
    codes = _staged_codes(conn, entity_type, len(ids))
    if (codes < 0).any():
        conn.execute(text("LOCK TABLE observation_entities IN SHARE ROW EXCLUSIVE MODE"))
        codes = _staged_codes(conn, entity_type, len(ids))
        new = np.flatnonzero(codes < 0)
        codes[new] = _add(conn, entity_type, len(new))
    return codes


def _staged_codes(conn: Connection, entity_type: str, n_ids: int) -> np.ndarray:
    """The code of each staged id (by its position), -1 where the dictionary has none."""
    # One bytea of big-endian (position, code) int4 pairs: a single value to fetch, parsed by numpy, no sort.
    packed = conn.execute(
        text(
            f"SELECT string_agg(int4send(s.i) || int4send(e.entity), ''::bytea) FROM {STAGE} s"
            " JOIN observation_entities e ON e.entity_type = :type AND e.entity_id = s.entity_id"
        ),
        {"type": entity_type},
    ).scalar_one()
    pairs = np.frombuffer(packed or b"", dtype=">i4").reshape(-1, 2)
    codes = np.full(n_ids, -1, dtype=np.int32)
    codes[pairs[:, 0]] = pairs[:, 1]
    return codes


def _add(conn: Connection, entity_type: str, n_new: int) -> np.ndarray:
    """Add the `n_new` staged ids the dictionary lacks, with codes reserved from its identity in the stage's
    order, by one INSERT ... SELECT from the stage (the ids are not sent again); return the codes, in that order.
    The caller holds the dictionary's lock, so the reserved range is this transaction's alone and the ids
    missing are exactly the ones its lookup under the lock found missing."""
    last = conn.execute(
        text("SELECT setval(CAST(:seq AS regclass), nextval(CAST(:seq AS regclass)) + :n - 1)"),
        {"seq": "observation_entities_entity_seq", "n": n_new},
    ).scalar_one()
    inserted = conn.execute(
        text(
            "INSERT INTO observation_entities (entity, entity_type, entity_id)"
            f" SELECT CAST(:first + row_number() OVER (ORDER BY s.i) - 1 AS integer), :type, s.entity_id FROM {STAGE} s"
            " WHERE NOT EXISTS (SELECT 1 FROM observation_entities e"
            "  WHERE e.entity_type = :type AND e.entity_id = s.entity_id)"
        ),
        {"first": last - n_new + 1, "type": entity_type},
    ).rowcount
    if inserted != n_new:  # cannot happen under the lock; refuse rather than publish misaligned codes
        raise RuntimeError(f"entity dictionary: {inserted} ids added, {n_new} expected")
    return np.arange(last - n_new + 1, last + 1, dtype=np.int32)


def _factorized(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, distinct values) of a column; a missing value is refused, as NOT NULL refused it."""
    values = frame[column]
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        # Arrow's own hash on its storage (no copy): pandas' factorize wraps the same kernel at 2-5x its cost
        arrow = pa.array(values)
        encoded = pc.dictionary_encode(arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow)
        if encoded.null_count == 0:
            return encoded.indices.to_numpy(), encoded.dictionary.to_numpy(zero_copy_only=False)
    positions, uniques = pd.factorize(values)
    if len(positions) and positions.min() < 0:
        missing = int((positions < 0).sum())
        raise DataQualityError(f"{missing} observation(s) have no {column}: nothing was loaded")
    return positions, np.asarray(uniques, dtype=object)


class EntityCodes:
    """The entity codes one writer has already looked up (valid for its transaction), so the batches of a
    backfill or an import code each id once: `codes(conn, type, ids)` asks the dictionary only for the rest."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[pd.Index, np.ndarray]] = {}

    def codes(self, conn: Connection, entity_type: str, ids: np.ndarray) -> np.ndarray:
        index, known = self.known.get(entity_type, (pd.Index([], dtype=object), np.empty(0, dtype=np.int32)))
        position = index.get_indexer(ids)
        codes = known[position] if len(known) else np.full(len(ids), -1, dtype=np.int32)
        missing = position < 0
        if missing.any():
            codes[missing] = entity_codes(conn=conn, entity_type=entity_type, ids=ids[missing])
            index = index.append(pd.Index(ids[missing], dtype=object))
            self.known[entity_type] = (index, np.concatenate([known, codes[missing]]))
        return codes


def _entities(conn: Connection, frame: pd.DataFrame, cache: EntityCodes) -> np.ndarray:
    """The int4 entity of every row: each distinct (type, id) pair is coded once."""
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
    entity_of_pair = np.empty(len(pair_id), dtype=np.int32)
    for index, entity_type in enumerate(types):
        mask = pair_type == index
        entity_of_pair[mask] = cache.codes(conn, str(entity_type), ids[pair_id[mask]])
    return entity_of_pair[pair_of_row]


def coded_rows(*, conn: Connection, frame: pd.DataFrame, cache: EntityCodes | None = None) -> Rows:
    """The frame (OBSERVATION_COLUMNS) as narrow columns, observed_on as PostgreSQL days (since 2000-01-01)."""
    rows = {"entity": _entities(conn, frame, cache or EntityCodes())}
    for column, table in CODE_TABLES.items():
        positions, names = _factorized(frame, column)
        mapping = name_codes(conn=conn, table=table, code=column, names=names)
        rows[column] = np.array([mapping[str(name)] for name in names], dtype=np.int16)[positions]
    positions, days = _factorized(frame, "observed_on")
    rows["observed_on"] = pg_days(pd.to_datetime(pd.Series(days)).to_numpy())[positions]
    rows["value"] = pd.to_numeric(frame["value"]).to_numpy(dtype=np.float64, na_value=np.nan)
    missing = int(np.isnan(rows["value"]).sum())
    if missing:  # `value` is NOT NULL: refused, as the wide table's constraint refused it
        raise DataQualityError(f"{missing} observation(s) have no value (NULL or NaN): nothing was loaded")
    return rows


def last_per_key(rows: Rows) -> Rows:
    """The rows sorted by the primary key (entity, metric, source, observed_on), one per key: of rows with the
    same key the frame's last is kept (as `drop_duplicates(keep="last")` did on the text columns)."""
    # Codes are positive (identities) and metric and source are int2: one int64 orders (entity, metric, source).
    entity, metric, source = (rows[name].astype(np.int64) for name in ("entity", "metric", "source"))
    head = (entity << 32) | (metric << 16) | source
    order = np.lexsort((rows["observed_on"], head))  # stable: equal keys stay in frame order
    head, day = head[order], rows["observed_on"][order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (head[1:] != head[:-1]) | (day[1:] != day[:-1])
    return {name: values[order[last]] for name, values in rows.items()}
