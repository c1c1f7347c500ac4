"""The "Similar tracks" panel of the Track page: the track's nearest tracks in sound, precomputed by the worker
(agg_similar_tracks). Its own callback, so the Track page only places `panel()`."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html
from sqlalchemy import Connection

from dashboard import discover_queries, ids, publication_cache, queries, tables, urlstate
from dashboard.db import reading, when_unavailable

COLUMNS: list[dict[str, Any]] = [
    {"field": "rank", "headerName": "#", "maxWidth": 70},
    tables.link_column("name", "Track", kind="track", id_field="track_id", minWidth=150),
    tables.link_column("artist_name", "Artist", kind="artist", id_field="artist_id", minWidth=130),
    {"field": "genre", "minWidth": 90},
    {
        "field": "distance",
        "headerName": "Distance in sound",
        **tables.NUMBER,
        "minWidth": tables.header_min_width("Distance in sound"),
    },
    {
        "field": "popularity",
        "headerName": "Popularity",
        **tables.NUMBER,
        "minWidth": tables.header_min_width("Popularity"),
    },
]


def panel() -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(tables.export_header("Similar tracks (nearest in sound)", ids.TRACK_SIMILAR_EXPORT)),
         dbc.CardBody([html.Div(id=ids.TRACK_SIMILAR_NOTE, className="small text-muted mb-2"),
                       tables.grid(ids.TRACK_SIMILAR, COLUMNS, file_name="similar-tracks.csv", page_size=10)])],
        className="mt-3",
    )  # fmt: skip


@callback(Output(ids.TRACK_SIMILAR, "rowData"), Output(ids.TRACK_SIMILAR_NOTE, "children"), Input(ids.TRACK_ID, "data"))
@when_unavailable(lambda: ([], "Data temporarily unavailable."))
def render_similar(track_id: str) -> tuple[list, str]:
    """The grid's rows and the note above it, cached per (publication, track): a publication never changes."""
    track_id = urlstate.text(track_id) or ""
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return [], "Nothing published yet."
        key = ("similar-tracks", publication_cache.publication_key(publication), track_id)
        return publication_cache.get_or_build(key, lambda: _similar(conn, publication.publication_id, track_id))


def _similar(conn: Connection, publication_id: int, track_id: str) -> tuple[list, str]:
    frame = discover_queries.similar_tracks(conn=conn, publication_id=publication_id, track_id=track_id)
    if frame.empty:
        return [], "No similar tracks: this track (or its source) has no audio features."
    return tables.records(frame), f"The {len(frame)} tracks closest in standardised audio features."


tables.export_on_click(ids.TRACK_SIMILAR, ids.TRACK_SIMILAR_EXPORT)
