"""Observation rows as codes and binary COPY (jobs.observation_codes, jobs.binary_copy): the payload reads back
as written, a repeated key keeps the frame's last row, and the entity dictionary codes each id once, with
codes reserved from its identity that later inserts do not reuse.

    python -m pytest -q tests/test_observation_codes.py
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, text

from jobs import observation_codes
from jobs.binary_copy import copy_columns, copy_in, copy_payload, pg_days
from jobs.errors import DataQualityError
from jobs.observation_codes import EntityCodes, coded_rows, entity_codes, last_per_key


def test_a_binary_payload_reads_back_as_written(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE t (a integer, b smallint, d date, v double precision, n bigint)"))
    days = pg_days([date(1999, 12, 31), date(2000, 1, 1), date(2027, 6, 30)])  # before PostgreSQL's epoch too
    columns = [("int4", np.array([1, -2, 2**31 - 1])), ("int2", np.array([7, 8, -9])), ("date", days),
               ("float8", np.array([0.5, -1e300, 3.0])), ("int8", None)]  # fmt: skip
    copy_in(conn, "t", ["a", "b", "d", "v", "n"], copy_payload(columns))
    rows = [tuple(row) for row in conn.execute(text("SELECT a, b, d, v, n FROM t ORDER BY d"))]
    assert rows == [
        (1, 7, date(1999, 12, 31), 0.5, None),
        (-2, 8, date(2000, 1, 1), -1e300, None),
        (2**31 - 1, -9, date(2027, 6, 30), 3.0, None),
    ]
    copy_in(conn, "t", ["a", "b", "d", "v", "n"], copy_payload([(k, None if v is None else v[:0]) for k, v in columns]))
    assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 3  # an empty payload is a valid COPY


def test_columns_streamed_in_chunks_store_what_the_whole_payload_stores(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE t (a integer, d date, v double precision, n bigint)"))
    conn.execute(text("CREATE TEMP TABLE whole (LIKE t)"))
    columns = [("int4", np.arange(7)), ("date", pg_days(["2027-06-01"] * 7)), ("float8", np.linspace(0, 1, 7)),
               ("int8", None)]  # fmt: skip
    copy_columns(conn, "t", ["a", "d", "v", "n"], columns, chunk_rows=3)  # chunks of 3, 3 and 1 rows
    copy_columns(conn, "t", ["a", "d", "v", "n"], [(k, None if v is None else v[:0]) for k, v in columns])
    copy_in(conn, "whole", ["a", "d", "v", "n"], copy_payload(columns))
    read = "SELECT a, d, v, n FROM {} ORDER BY a"
    stored = [tuple(row) for row in conn.execute(text(read.format("t")))]
    assert len(stored) == 7 and stored == [tuple(row) for row in conn.execute(text(read.format("whole")))]


def test_a_repeated_key_keeps_the_frames_last_row_in_key_order() -> None:
    rows: dict[str, np.ndarray] = {
        "entity": np.array([5, 1, 5, 1, 5], dtype=np.int32),
        "metric": np.array([1, 1, 1, 1, 2], dtype=np.int16),
        "source": np.ones(5, dtype=np.int16),
        "observed_on": np.array([10, 10, 10, 11, 10], dtype=np.int32),
        "value": np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
    }
    kept = last_per_key(rows)
    assert kept["entity"].tolist() == [1, 1, 5, 5]
    assert kept["value"].tolist() == [2.0, 4.0, 3.0, 5.0]  # (5, 1, 1, 10) twice: the later 3.0 wins


def test_new_ids_get_fresh_codes_and_the_identity_moves_past_them(conn: Connection) -> None:
    known = entity_codes(conn=conn, entity_type="artist", ids=np.array(["a", "b"], dtype=object))
    mixed = entity_codes(conn=conn, entity_type="artist", ids=np.array(["c", "a", "d"], dtype=object))
    assert mixed[1] == known[0] and len({*known, *mixed}) == 4
    later = conn.execute(
        text("INSERT INTO observation_entities (entity_type, entity_id) VALUES ('track', 'x') RETURNING entity")
    ).scalar_one()
    assert later > max(*known, *mixed)  # codes reserved by the COPY are never handed out again
    assert entity_codes(conn=conn, entity_type="track", ids=np.array(["x"], dtype=object)).tolist() == [later]


AWKWARD_IDS = ["z,1", 'say "hi"', "line\nbreak", "carriage\rreturn", "tab\there", "back\\slash", "émoji 🎵", "a"]


def test_new_ids_are_stored_as_given_with_codes_in_the_order_asked(conn: Connection) -> None:
    """The stage is Arrow CSV and the new ids are added from it by INSERT ... SELECT: every character survives,
    and the codes reserved follow the ids' order (not the text's), as the caller reads them back by position."""
    first = entity_codes(conn=conn, entity_type="track", ids=np.array(["m"], dtype=object))
    codes = entity_codes(conn=conn, entity_type="track", ids=np.array(["m", *AWKWARD_IDS], dtype=object))
    assert codes[0] == first[0] and codes[1:].tolist() == list(range(first[0] + 1, first[0] + 1 + len(AWKWARD_IDS)))
    rows = conn.execute(text("SELECT entity_id, entity FROM observation_entities WHERE entity_type = 'track'"))
    stored = dict(rows.tuples().all())
    assert stored == {"m": first[0], **{i: int(c) for i, c in zip(AWKWARD_IDS, codes[1:], strict=True)}}
    again = entity_codes(conn=conn, entity_type="track", ids=np.array(AWKWARD_IDS[::-1], dtype=object))
    assert again.tolist() == codes[1:][::-1].tolist()


def test_ids_copied_into_an_empty_dictionary_are_stored_as_given_and_found_again(conn: Connection) -> None:
    """The first ids of a type skip the stage (the dictionary has none of that type: one COPY straight in): every
    character survives, codes follow the order asked, and a later lookup through the stage finds the same codes."""
    codes = entity_codes(conn=conn, entity_type="artist", ids=np.array(AWKWARD_IDS, dtype=object))
    assert codes.tolist() == list(range(codes[0], codes[0] + len(AWKWARD_IDS)))
    rows = conn.execute(text("SELECT entity_id, entity FROM observation_entities WHERE entity_type = 'artist'"))
    assert dict(rows.all()) == {i: int(c) for i, c in zip(AWKWARD_IDS, codes, strict=True)}  # type: ignore[arg-type]
    again = entity_codes(conn=conn, entity_type="artist", ids=np.array([*AWKWARD_IDS[::-1], "new"], dtype=object))
    assert again[:-1].tolist() == codes[::-1].tolist() and again[-1] > codes.max()
    tracks = entity_codes(conn=conn, entity_type="track", ids=np.array(AWKWARD_IDS[:2], dtype=object))
    assert tracks.min() > again[-1]  # a type with no ids yet takes the COPY too, with codes after every other


def test_text_columns_are_coded_alike_on_arrow_and_on_object_storage(conn: Connection) -> None:
    arrow = _frame(["b", "a", "b", *AWKWARD_IDS])
    plain = arrow.astype({"entity_id": object, "metric": object, "source": object, "entity_type": object})
    for column in ("entity_id", "metric", "entity_type"):
        codes, uniques = observation_codes._factorized(arrow, column)
        expected_codes, expected_uniques = pd.factorize(plain[column])
        assert codes.tolist() == expected_codes.tolist() and uniques.tolist() == list(expected_uniques)
    for name, values in coded_rows(conn=conn, frame=arrow).items():
        np.testing.assert_array_equal(values, coded_rows(conn=conn, frame=plain)[name])


def test_each_id_is_asked_of_the_dictionary_once_per_writer(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[str]] = []
    real = observation_codes.dictionary_codes

    def spy(*, conn: Connection, ids: dict[str, np.ndarray], **options: object) -> dict[str, np.ndarray]:
        asked.extend(sorted(values) for values in ids.values())
        return real(conn=conn, ids=ids, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(observation_codes, "dictionary_codes", spy)
    cache = EntityCodes()
    first = coded_rows(conn=conn, frame=_frame(["a", "b", "a"]), cache=cache)
    second = coded_rows(conn=conn, frame=_frame(["b", "c"]), cache=cache)
    assert asked == [["a", "b"], ["c"]]
    assert first["entity"][1] == second["entity"][0] and first["entity"][0] == first["entity"][2]


def test_an_id_named_by_an_artist_and_a_track_gets_a_code_for_each(conn: Connection) -> None:
    """Ids are coded per (type, id): the same text as an artist and as a track is two entities (the shortcut
    that codes ids alone when each names one kind must not merge them)."""
    frame = pd.concat([_frame(["x", "y", "x"]), _frame(["x", "z"]).assign(entity_type="track")], ignore_index=True)
    entity = coded_rows(conn=conn, frame=frame)["entity"]
    assert entity[0] == entity[2] and len({entity[0], entity[1], entity[3], entity[4]}) == 4
    stored = conn.execute(text("SELECT entity_type, entity_id, entity FROM observation_entities")).tuples().all()
    assert {(kind, entity_id): code for kind, entity_id, code in stored} == {
        ("artist", "x"): entity[0],
        ("artist", "y"): entity[1],
        ("track", "x"): entity[3],
        ("track", "z"): entity[4],
    }


def test_an_observation_without_an_entity_id_is_refused(conn: Connection) -> None:
    with pytest.raises(DataQualityError, match="1 observation.*entity_id"):
        coded_rows(conn=conn, frame=_frame(["a", None]))
    with pytest.raises(DataQualityError, match="2 observation.*empty entity_id"):  # not a NOT NULL violation
        coded_rows(conn=conn, frame=_frame(["a", "", ""]))


def _frame(ids: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"entity_type": "artist", "entity_id": pd.array(ids, dtype="str"), "metric": "m",
                         "observed_on": date(2026, 6, 1), "source": "demo", "value": 1.0})  # fmt: skip
