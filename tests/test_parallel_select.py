"""`jobs.parallel_select.insert_selected` (the leaderboard's INSERT through a temporary table, whose CREATE TABLE
AS may run in parallel) inserts exactly the SELECT's rows, in the order asked, and leaves no table behind. That
the leaderboard and the seasonality give the same rows as before: tests/test_aggregate_narrow.py."""

from __future__ import annotations

from sqlalchemy import Connection, text

from jobs.parallel_select import SELECTED, insert_selected, selected


def test_insert_selected_inserts_the_rows_in_order_and_drops_its_table(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE target (k integer PRIMARY KEY, v text)"))
    select = "SELECT g AS k, CAST(:p || g AS text) AS v FROM generate_series(5, 1, -1) g"
    rows = insert_selected(conn, "target", "k, v", select, {"p": "x"}, order_by="k")
    assert rows == 5
    assert conn.execute(text("SELECT array_agg(v ORDER BY ctid) FROM target")).scalar() == [
        f"x{i}" for i in range(1, 6)
    ]
    assert conn.execute(text("SELECT to_regclass(:t)"), {"t": SELECTED}).scalar() is None


def test_selected_rows_are_readable_by_several_statements(conn: Connection) -> None:
    with selected(conn, "SELECT g AS k FROM generate_series(1, 3) g", {}) as table:
        first = conn.execute(text(f"SELECT sum(k) FROM {table}")).scalar()
        second = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    assert (first, second) == (6, 3)
    assert conn.execute(text("SELECT to_regclass(:t)"), {"t": SELECTED}).scalar() is None
