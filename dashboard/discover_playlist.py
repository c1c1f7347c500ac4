"""The playlist generator of the Discover page: sound ranges, genre and micro-genre in; an ordered playlist of
published tracks out (most popular first), exportable as CSV. One indexed query, no model."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy import Connection

from dashboard import discover_queries, ids, publication_cache, queries, tables
from dashboard.components import genre_options, unavailable_alert
from dashboard.db import reading, when_unavailable

COLUMNS: list[dict[str, Any]] = [
    {"field": "position", "headerName": "#", "maxWidth": 70},
    tables.link_column("name", "Track", kind="track", id_field="track_id", minWidth=150),
    tables.link_column("artist_name", "Artist", kind="artist", id_field="artist_id", minWidth=130),
    {"field": "genre", "minWidth": 90},
    {"field": "micro_genre_label", "headerName": "Micro-genre", "minWidth": tables.header_min_width("Micro-genre")},
    *({"field": field, "headerName": header, **tables.NUMBER, "minWidth": tables.header_min_width(header)}
      for field, header in (("energy", "Energy"), ("danceability", "Danceability"), ("valence", "Valence"),
                            ("tempo", "Tempo"), ("popularity", "Popularity"))),
]  # fmt: skip


def _slider(component_id: str, label: str, low: float, high: float, step: float) -> html.Div:
    return html.Div(
        [
            html.Label(label, className="small mb-0"),
            dcc.RangeSlider(
                id=component_id,
                min=low,
                max=high,
                step=step,
                value=[low, high],
                allowCross=False,
                tooltip={"placement": "bottom"},
                marks=None,
            ),
        ],  # fmt: skip
        className="mb-2",
    )


def section(micro: pd.DataFrame, genres: list[str]) -> html.Div:
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    _slider(ids.PLAYLIST_ENERGY, "Energy", 0, 1, 0.05),
                    _slider(ids.PLAYLIST_DANCE, "Danceability", 0, 1, 0.05),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    _slider(ids.PLAYLIST_VALENCE, "Valence (mood)", 0, 1, 0.05),
                    _slider(ids.PLAYLIST_TEMPO, "Tempo (BPM)", 50, 220, 5),
                ],
                md=4,
            ),
            dbc.Col(_choices(micro, genres), md=4),
        ]
    )
    body = [controls, html.Div(id=ids.PLAYLIST_NOTE, className="small text-muted my-2"),
            tables.grid(ids.PLAYLIST_GRID, COLUMNS, file_name="hitscope-playlist.csv", page_size=15)]  # fmt: skip
    if micro.empty:
        body.insert(0, dbc.Alert("No playlists: this source has no audio features.", color="secondary"))
    return html.Div([html.H3("Playlist generator", className="h5 mt-4"), dbc.Card(dbc.CardBody(body))])


def _choices(micro: pd.DataFrame, genres: list[str]) -> list[object]:
    """Genre, micro-genre and length, then the Generate and Export CSV buttons."""
    micro_options = [{"label": r.label, "value": int(r.cluster)} for r in micro.itertuples()]
    length = dbc.Input(id=ids.PLAYLIST_LENGTH, type="number", min=1, max=discover_queries.PLAYLIST_MAX, value=30)
    return [
        dcc.Dropdown(id=ids.PLAYLIST_GENRE, options=genre_options(genres), placeholder="Any genre", className="mb-2"),
        dcc.Dropdown(id=ids.PLAYLIST_MICRO, options=micro_options, placeholder="Any micro-genre", className="mb-2"),
        dbc.InputGroup([dbc.InputGroupText("Tracks"), length], size="sm", className="mb-2"),
        dbc.Button("Generate playlist", id=ids.PLAYLIST_GO, color="primary", size="sm", className="me-2"),
        tables.export_button(ids.PLAYLIST_EXPORT),
    ]


@callback(
    Output(ids.PLAYLIST_GRID, "rowData"),
    Output(ids.PLAYLIST_NOTE, "children"),
    Input(ids.PLAYLIST_GO, "n_clicks"),
    State(ids.PLAYLIST_ENERGY, "value"), State(ids.PLAYLIST_DANCE, "value"), State(ids.PLAYLIST_VALENCE, "value"),
    State(ids.PLAYLIST_TEMPO, "value"), State(ids.PLAYLIST_GENRE, "value"), State(ids.PLAYLIST_MICRO, "value"),
    State(ids.PLAYLIST_LENGTH, "value"),
    prevent_initial_call=True,
)  # fmt: skip
@when_unavailable(lambda: ([], unavailable_alert()))
def generate(_n: int | None, energy: list, dance: list, valence: list, tempo: list, genre: str | None,
             micro: int | None, length: int | None) -> tuple[list, object]:  # fmt: skip
    request = discover_queries.PlaylistRequest(
        energy=_range(energy, 0, 1), danceability=_range(dance, 0, 1), valence=_range(valence, 0, 1),
        tempo=_range(tempo, 0, 250), genre=genre or None, micro_genre=int(micro) if micro is not None else None,
        length=int(length or 30),
    )  # fmt: skip
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return [], "Nothing published yet."
        key = ("playlist", publication_cache.publication_key(publication), request)  # a publication never changes
        return publication_cache.get_or_build(key, lambda: _playlist(conn, publication.publication_id, request))


def _playlist(conn: Connection, pid: int, request: discover_queries.PlaylistRequest) -> tuple[list, object]:
    """The playlist's rows, numbered and with their micro-genre's label, and the note above the grid."""
    frame = discover_queries.playlist(conn=conn, publication_id=pid, request=request)
    labels = discover_queries.micro_genres(conn=conn, publication_id=pid).set_index("cluster")["label"]
    if frame.empty:
        return [], "No track matches every setting: widen a range or drop the genre."
    frame = frame.assign(position=range(1, len(frame) + 1), micro_genre_label=frame["micro_genre"].map(labels))
    return tables.records(frame), f"{len(frame)} tracks, most popular first."


def _range(value: list | None, low: float, high: float) -> tuple[float, float]:
    if not value or len(value) != 2:
        return (low, high)
    return (float(value[0]), float(value[1]))


tables.export_on_click(ids.PLAYLIST_GRID, ids.PLAYLIST_EXPORT)
