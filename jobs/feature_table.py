"""The feature table (migration 0018): the features stage's rows for one snapshot, stored so the score stage
reads them as numpy instead of rebuilding them from observations.

    matrix = write_feature_set(conn=conn, features=features, day=day, hit=hit, run_id=run_id)  # its numbers
    features = read_feature_set(conn=conn, feature_set_id=matrix.feature_set_id)  # the same SnapshotFeatures back

The numbers of a row (is_hit, the genre's code, every other feature as one bytea of float64 with NaN for
missing) are fixed-width, so they go both ways as binary COPY of numpy structured arrays (`jobs.binary_copy`,
`core.columnar.copy_out_fixed`): no Python object per value. The text of a row (track and artist ids, release
date, names) is a second table, written and read as CSV COPY parsed by pandas in C. Values round-trip exactly
(float8 in binary), so the score stage's probabilities are those of the rows the features stage built
(tests/test_feature_table.py). Only the newest set is kept: writing one TRUNCATEs the others, in the caller's
transaction (runs are serialised by the run lock, and nothing else reads these tables).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv
from sqlalchemy import Connection, text

from core.columnar import copy_out_bytes, copy_out_fixed
from core.hit_definition import HitDefinition
from jobs.binary_copy import copy_in, copy_payload
from jobs.copy_frames import copy_frame
from jobs.features import SnapshotFeatures, snapshot_features

logger = logging.getLogger(__name__)

KEY_COLUMNS = ["feature_set_id", "row_number", "track_id", "artist_id", "release_date", "name", "artist_name"]
NULL = r"\N"


def float_columns(rows: pd.DataFrame) -> list[str]:
    """The columns stored in `track_features.features`: every column but the keys, `as_of` and `genre`."""
    return [c for c in rows.columns if c not in {"track_id", "artist_id", "as_of", "release_date", "genre"}]


def find_feature_set(*, conn: Connection, day: date, hit: HitDefinition) -> int | None:
    """The stored set for (`day`, `hit`), if there is one."""
    found = conn.execute(
        text("SELECT feature_set_id FROM feature_sets WHERE snapshot_date = :day AND hit_metric = :metric"
             " AND hit_threshold = :threshold"),
        {"day": day, "metric": hit.metric, "threshold": hit.threshold},
    ).scalar()  # fmt: skip
    return None if found is None else int(found)


def write_feature_set(
    *, conn: Connection, features: SnapshotFeatures, day: date, hit: HitDefinition, run_id: int | None
) -> FeatureMatrix:
    """Replace the stored set by `features` (rows with `names`) for (`day`, `hit`); return the numbers stored
    (the `read_feature_matrix` of the new set, bit for bit, without reading it back)."""
    if features.names is None:
        raise ValueError("a stored feature set needs the rows' names (snapshot_features gives them)")
    rows, columns = features.rows, float_columns(features.rows)
    genres = rows["genre"].cat.categories  # the context's genres (`build_features` gives the column them)
    conn.execute(text("TRUNCATE track_feature_keys, track_features, feature_sets"))
    set_id = int(
        conn.execute(
            text("INSERT INTO feature_sets (snapshot_date, hit_metric, hit_threshold, columns, genres, run_id)"
                 " VALUES (:day, :metric, :threshold, :columns, :genres, :run) RETURNING feature_set_id"),
            {"day": day, "metric": hit.metric, "threshold": hit.threshold, "columns": columns,
             "genres": list(genres), "run": run_id},
        ).scalar_one()
    )  # fmt: skip
    matrix = FeatureMatrix(set_id, day, columns, list(genres), features.is_hit.to_numpy(dtype=bool),
                           rows["genre"].cat.codes.to_numpy().astype(np.int16), _numbers(rows, columns))  # fmt: skip
    payload = copy_payload([("int4", np.full(len(rows), set_id)), ("int4", np.arange(len(rows))),
                            ("bool", matrix.is_hit), ("int2", matrix.genre),
                            (f"float8s[{len(columns)}]", matrix.numbers)])  # fmt: skip
    copy_in(conn, "track_features", ["feature_set_id", "row_number", "is_hit", "genre", "features"], payload)
    names = features.names
    keys = pd.DataFrame({"feature_set_id": set_id, "row_number": np.arange(len(rows)), "track_id": rows["track_id"],
                         "artist_id": rows["artist_id"], "release_date": rows["release_date"].dt.date,
                         "name": names["name"].to_numpy(), "artist_name": names["artist_name"].to_numpy()})  # fmt: skip
    copy_frame(conn=conn, table="track_feature_keys", frame=keys, columns=KEY_COLUMNS)
    logger.info("feature set %d: %d rows x %d features for %s", set_id, len(rows), len(columns) + 1, day)
    return matrix


@dataclass
class FeatureMatrix:
    """The numbers of a stored set, in row order: what the score stage predicts on (no text, no pandas)."""

    feature_set_id: int
    snapshot_date: date
    columns: list[str]  # the names of `numbers`' columns
    genres: list[str]  # the categories `genre` codes
    is_hit: np.ndarray  # bool per row
    genre: np.ndarray  # int16 code per row (-1: missing)
    numbers: np.ndarray  # rows x columns, float64, NaN missing

    def __len__(self) -> int:
        return len(self.is_hit)

    def categorical(self) -> dict[str, pd.Categorical]:
        return {"genre": pd.Categorical.from_codes(self.genre.astype(np.int64), categories=self.genres)}

    def frame(self, columns: list[str]) -> pd.DataFrame:
        """The named float columns (those present) as a frame: what a calibration's signal reads."""
        present = [column for column in columns if column in self.columns]
        return pd.DataFrame({column: self.numbers[:, self.columns.index(column)] for column in present})


def read_feature_matrix(*, conn: Connection, feature_set_id: int) -> FeatureMatrix:
    """The set's numbers with one binary COPY into numpy, keyed and ordered by the int4 row number."""
    set_id = int(feature_set_id)  # formatted into COPY, which takes no bound parameters
    head = conn.execute(
        text("SELECT snapshot_date, columns, genres FROM feature_sets WHERE feature_set_id = :id"), {"id": set_id}
    ).one()
    columns = list(head.columns)
    row, is_hit, genre, numbers = copy_out_fixed(
        conn, f"SELECT row_number, is_hit, genre, features FROM track_features WHERE feature_set_id = {set_id}",
        ["int4", "bool", "int2", f"float8s[{len(columns)}]"],
    )  # fmt: skip
    if not np.array_equal(row, np.arange(len(row))):  # stored in row order: no reordering needed
        order = np.argsort(row, kind="stable")
        is_hit, genre, numbers = is_hit[order], genre[order], numbers[order]
    return FeatureMatrix(set_id, head.snapshot_date, columns, list(head.genres), is_hit, genre, numbers)


def read_feature_set(*, conn: Connection, feature_set_id: int) -> SnapshotFeatures:
    """The stored set as the features stage built it: rows (keys, then the features), is_hit and names."""
    return feature_rows(conn=conn, matrix=read_feature_matrix(conn=conn, feature_set_id=feature_set_id))


def feature_rows(*, conn: Connection, matrix: FeatureMatrix) -> SnapshotFeatures:
    """A read matrix with its rows' text (track and artist ids, release date, names: a CSV COPY) as the frame
    the features stage built."""
    keys = _read_keys(conn, matrix.feature_set_id)
    rows = pd.DataFrame(matrix.numbers, columns=matrix.columns)
    rows.insert(0, "track_id", keys["track_id"].to_numpy(dtype=object))
    rows.insert(1, "artist_id", keys["artist_id"].to_numpy(dtype=object))
    rows.insert(2, "as_of", pd.Timestamp(matrix.snapshot_date))
    rows.insert(3, "release_date", keys["release_date"].astype("datetime64[s]"))  # the unit of ModelFrames.normalised
    rows["genre"] = matrix.categorical()["genre"]
    names = keys[["name", "artist_name"]].reset_index(drop=True)
    return SnapshotFeatures(rows, pd.Series(matrix.is_hit, name="is_hit_now"), names)


def _read_keys(conn: Connection, set_id: int) -> pd.DataFrame:
    """The text of set `set_id`'s rows, ordered by row number (CSV COPY parsed by pyarrow: a quoted "\\N" is
    text, an unquoted one NULL)."""
    buffer = io.BytesIO(copy_out_bytes(conn,
        f"COPY (SELECT {', '.join(KEY_COLUMNS[1:])} FROM track_feature_keys WHERE feature_set_id = {set_id})"
        f" TO STDOUT (FORMAT csv, NULL '{NULL}')"))  # fmt: skip
    types = {name: pa.string() for name in KEY_COLUMNS[2:]} | {"row_number": pa.int32(), "release_date": pa.date32()}
    table = csv.read_csv(
        buffer, read_options=csv.ReadOptions(column_names=KEY_COLUMNS[1:]),
        convert_options=csv.ConvertOptions(column_types=types, null_values=[NULL], strings_can_be_null=True,
                                           quoted_strings_can_be_null=False),
    )  # fmt: skip
    keys = table.to_pandas()
    return keys.sort_values("row_number", kind="stable").reset_index(drop=True)


@dataclass
class StoredSet:
    """The features stage's result: the stored set's id, the rows built (None: an existing set was reused),
    and, when it built them, the matrix it stored (the same numbers, bit for bit, that `read_feature_matrix`
    gives back), so the score stage of the same run predicts on it without reading it back."""

    feature_set_id: int
    built: int | None
    matrix: FeatureMatrix | None


def stored_features(*, conn: Connection, day: date, hit: HitDefinition, changed: bool, run_id: int | None) -> StoredSet:
    """The features stage of a refresh: the stored set for (`day`, `hit`), rebuilt from the model inputs
    (`jobs.features.snapshot_features`, the definition training uses) unless the run's load `changed` nothing
    and the set is already stored."""
    found = None if changed else find_feature_set(conn=conn, day=day, hit=hit)
    if found is not None:
        return StoredSet(found, None, None)
    features = snapshot_features(conn=conn, day=day, hit_metric=hit.metric, hit_threshold=hit.threshold)
    matrix = write_feature_set(conn=conn, features=features, day=day, hit=hit, run_id=run_id)
    return StoredSet(matrix.feature_set_id, len(features.rows), matrix)


def _numbers(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return np.column_stack([rows[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in columns])
