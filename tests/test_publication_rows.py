"""The big published tables keep their rows tied to `publications` by statement triggers instead of a row-level
foreign key (migration 0026): a row of a publication that does not exist is refused (foreign_key_violation, as
the key refused it) and nothing of the statement stays, and deleting publications deletes their rows, as ON
DELETE CASCADE did."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from jobs.runs import start_run

BIG_TABLES = {
    "agg_similar_tracks": "(publication_id, track_no, similar_nos, distances) VALUES ({pid}, 0, '{{1}}', '{{0.5}}')",
    "agg_discover_tracks": "(publication_id, track_id, name, genre, is_hit) VALUES ({pid}, 't', 'n', 'g', false)",
    "agg_track_scores": (
        "(publication_id, track_id, name, genre, is_hit, probability) VALUES ({pid}, 't', 'n', 'g', false, 0.5)"
    ),
    "agg_artist_leaderboard": "(publication_id, artist_id, name, genre) VALUES ({pid}, 'a', 'n', 'g')",
}


def _publication(conn: Connection) -> int:
    day = date(2026, 6, 30)
    run_id = start_run(conn=conn, kind="refresh", trigger="cli", source="demo", snapshot_date=day, requested_by="t")
    return int(
        conn.execute(
            text("INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES (:r, :d, 'demo', true)"
                 " RETURNING publication_id"),
            {"r": run_id, "d": day},
        ).scalar_one()
    )  # fmt: skip


@pytest.mark.parametrize("table", sorted(BIG_TABLES))
def test_a_row_of_no_publication_is_refused(conn: Connection, table: str) -> None:
    pid = _publication(conn)
    conn.execute(text(f"INSERT INTO {table} {BIG_TABLES[table].format(pid=pid)}"))  # its publication exists
    with pytest.raises(IntegrityError, match="publication that does not exist"), conn.begin_nested():
        conn.execute(text(f"INSERT INTO {table} {BIG_TABLES[table].format(pid=pid + 1000)}"))
    with pytest.raises(IntegrityError, match="publication that does not exist"), conn.begin_nested():
        conn.execute(text(f"UPDATE {table} SET publication_id = :p"), {"p": pid + 1000})
    assert conn.execute(text(f"SELECT array_agg(publication_id) FROM {table}")).scalar() == [pid]


def test_deleting_publications_deletes_their_rows_only(conn: Connection) -> None:
    kept, dropped = _publication(conn), _publication(conn)
    for pid in (kept, dropped):
        for table, values in BIG_TABLES.items():
            conn.execute(text(f"INSERT INTO {table} {values.format(pid=pid)}"))
    conn.execute(text("DELETE FROM publications WHERE publication_id = :p"), {"p": dropped})
    for table in BIG_TABLES:
        assert conn.execute(text(f"SELECT array_agg(publication_id) FROM {table}")).scalar() == [kept], table
