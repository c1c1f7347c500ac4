"""The Artists page's leaderboard card: a server-side grid of every ranked artist, scoped by the page's genre
and order, exported whole on the server (dashboard/server_grid.py, dashboard/leaderboard_grid.py).

    artists_grid.panel()     # the card, in dashboard/pages/artists.py
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc

from dashboard import ids, leaderboard_grid, publication_cache, queries, server_grid, tables, urlstate
from dashboard.db import reading, when_unavailable
from dashboard.grid_rows import request_key

FILE_NAME = "hitscope-artists.csv"


def panel() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                tables.export_header("Leaderboard (sort, filter, export what is shown)", ids.ARTISTS_EXPORT)
            ),
            dbc.CardBody(
                [
                    server_grid.server_grid(ids.ARTISTS_GRID, tables.LEADERBOARD_COLUMNS),
                    server_grid.download(ids.ARTISTS_DOWNLOAD),
                ]
            ),
        ],
        className="mt-3",
    )


def _scope(genre: Any, order: Any) -> tuple[str | None, str]:
    return urlstate.text(genre), urlstate.choice(order, queries.ARTIST_ORDERS, "level")


@when_unavailable(lambda: None)
def rows(request: Any, genre: Any, order: Any) -> dict[str, Any] | None:
    """One block of the current publication's leaderboard (an empty, finished list before the first one);
    None when the database does not answer (the grid keeps what it shows). Cached per (publication, genre,
    order, block request): a publication never changes, and every visitor's first view asks the same block.
    A refused request raises before anything is cached."""
    genre, order = _scope(genre, order)
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return {"rowData": [], "rowCount": 0}
        key = ("artists-block", publication_cache.publication_key(publication), genre, order, request_key(request))
        return publication_cache.get_or_build(
            key,
            lambda: leaderboard_grid.leaderboard_block(
                conn=conn, publication_id=publication.publication_id, genre=genre, order=order, request=request
            ),
        )


@when_unavailable(lambda: None)
def export(request: Any, genre: Any, order: Any) -> list[dict[str, Any]] | None:
    """Every row matching the grid's scope, sort and filters; None when the database does not answer."""
    genre, order = _scope(genre, order)
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return []
        return leaderboard_grid.leaderboard_export(
            conn=conn, publication_id=publication.publication_id, genre=genre, order=order, request=request
        )


server_grid.wire(
    ids.ARTISTS_GRID,
    button_id=ids.ARTISTS_EXPORT,
    download_id=ids.ARTISTS_DOWNLOAD,
    controls=[ids.ARTISTS_GENRE, ids.ARTISTS_ORDER],
    columns=tables.LEADERBOARD_COLUMNS,
    file_name=FILE_NAME,
    rows=rows,
    export=export,
)
