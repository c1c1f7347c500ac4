"""The Artists leaderboard grid, served from SQL one block at a time (dash-ag-grid's infinite row model).

Every artist of a publication would be thousands of rows (846 KB of JSON at 3,000 artists) to show 20, so the
grid asks for blocks (`getRowsRequest`) and `leaderboard_block` answers each with one LIMIT/OFFSET read over the
indexes of sql/versions/0015_grid_indexes.sql; its CSV export (`leaderboard_export`) reads every row matching
the page's genre and order and the grid's own sort and filters. Sort and filter fields are whitelisted
(`COLUMNS`, checked by `dashboard.grid_rows`).

    rows = leaderboard_block(conn=conn, publication_id=pid, genre="pop", order="level", request=grid_request)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dashboard import formats
from dashboard.grid_rows import GridColumn, GridQuery, block_response
from dashboard.queries import ARTIST_ORDERS

_WHOLE = ("popularity", "followers", "listeners")  # shown as whole numbers
_TENTHS = ("popularity_7d", "popularity_28d", "followers_7d_pct", "followers_28d_pct", "listeners_28d_pct")


def _rounded(column: str, places: int) -> GridColumn:
    return GridColumn(column, "number", f"round(CAST({column} AS numeric), {places})")


COLUMNS: dict[str, GridColumn] = {
    "name": GridColumn("name", "text"),
    "genre": GridColumn("genre", "text"),
    **{column: _rounded(column, 0) for column in _WHOLE},
    **{column: _rounded(column, 1) for column in _TENTHS},
    "n_tracks": GridColumn("n_tracks"),
}
_SELECT = (
    "SELECT artist_id, name, genre, popularity, popularity_7d, popularity_28d, followers, followers_7d_pct,"
    " followers_28d_pct, listeners, listeners_28d_pct, n_tracks FROM agg_artist_leaderboard"
)


def record(row: Any) -> dict[str, Any]:
    """One grid row as shown: levels as whole numbers, changes to one decimal, the genre in its display casing."""
    out = dict(row)
    for column in _WHOLE:
        out[column] = None if out[column] is None else round(float(out[column]))
    for column in _TENTHS:
        out[column] = None if out[column] is None else round(float(out[column]), 1)
    out["genre"] = formats.genre(out["genre"])
    return out


def _rows(conn: Connection, publication_id: int, genre: str | None, order: str, query: GridQuery) -> list[dict]:
    """The page's scope (publication, genre, artists with a value for the order) plus the grid's sort/filters.
    Two statements, with and without the genre, so each uses its own index (no `:genre IS NULL OR ...`)."""
    ordered, _ = ARTIST_ORDERS[order]
    scope = " WHERE publication_id = :pid" + (" AND genre = :genre" if genre is not None else "")
    sql = f"{_SELECT}{scope} AND {ordered} IS NOT NULL{query.where} ORDER BY {query.order_by('artist_id')} {query.page}"
    params = {"pid": publication_id, **({"genre": genre} if genre is not None else {}), **query.params}
    return [record(row) for row in conn.execute(text(sql), params).mappings()]


def leaderboard_block(
    *, conn: Connection, publication_id: int, genre: str | None, order: str, request: Any
) -> dict[str, Any]:
    """The `getRowsResponse` for one block: rows in the grid's sort (else the page's order), filters applied."""
    query = GridQuery.parse(request, COLUMNS, default_order=ARTIST_ORDERS[order][0])
    return block_response(_rows(conn, publication_id, genre, order, query), query)


def leaderboard_export(
    *, conn: Connection, publication_id: int, genre: str | None, order: str, request: Any
) -> list[dict[str, Any]]:
    """Every row the grid would show for `request`'s sort and filters (the block bounds ignored)."""
    query = GridQuery.parse(request or {}, COLUMNS, default_order=ARTIST_ORDERS[order][0], whole=True)
    return _rows(conn, publication_id, genre, order, query)
