"""Discover (`/discover?artist=<id>`): an artist's market segment, what drives popularity there, its
underperforming tracks and collaboration ideas; the micro-genre map, genre evolution, the popularity regression;
and the playlist generator (dashboard/discover_playlist.py). Everything is read from published tables.

Segments are precomputed for the DISCOVER_SEEDS most popular artists and every watched artist; the page says so
for any other. Each section says plainly what is missing when the source lacks the data.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html
from sqlalchemy import Connection

from dashboard import (
    discover_figures,
    discover_playlist,
    discover_queries,
    ids,
    publication_cache,
    queries,
    tables,
    urlstate,
)
from dashboard.components import demo_badge, no_publication_alert, page_header, unavailable_alert
from dashboard.db import reading, when_unavailable
from dashboard.figures import empty_figure, unavailable_figure

dash.register_page(__name__, path="/discover", name="Discover", title="Hitscope · Discover", order=4, nav=True)

EXPORTS = {ids.DISCOVER_SEGMENT: ids.DISCOVER_SEGMENT_EXPORT, ids.DISCOVER_UNDER: ids.DISCOVER_UNDER_EXPORT,
           ids.DISCOVER_IDEAS: ids.DISCOVER_IDEAS_EXPORT}  # fmt: skip


def _num(field: str, header: str, digits: int | None = None, **extra: Any) -> dict[str, Any]:
    formatter = {"valueFormatter": {"function": f"d3.format('.{digits}f')(params.value)"}} if digits else {}
    return {"field": field, "headerName": header, **tables.NUMBER, "minWidth": tables.header_min_width(header),
            **formatter, **extra}  # fmt: skip


SEGMENT_COLUMNS: list[dict[str, Any]] = [
    tables.link_column("name", "Artist", kind="artist", id_field="artist_id", minWidth=140),
    _num("hop", "Hop", maxWidth=90),
    _num("closeness", "Closeness", 2),
    _num("popularity", "Popularity"),
]
UNDER_COLUMNS: list[dict[str, Any]] = [
    {"field": "rank", "headerName": "#", "maxWidth": 70},
    tables.link_column("name", "Track", kind="track", id_field="track_id", minWidth=150),
    _num("popularity", "Popularity"),
    _num("expected", "Segment expects", 1),
    _num("gap", "Gap", 1),
]
IDEA_COLUMNS: list[dict[str, Any]] = [
    {"field": "rank", "headerName": "#", "maxWidth": 70},
    tables.link_column("name", "Artist", kind="artist", id_field="artist_id", minWidth=140),
    tables.link_column("via_name", "Worked with", kind="artist", id_field="via_artist_id", minWidth=140),
    _num("closeness", "Closeness", 2),
    _num("popularity", "Popularity"),
]


def _card(title: str, body: object, *, export_of: str | None = None) -> dbc.Card:
    """A card; with `export_of` (a grid id), its header carries that grid's Export CSV button."""
    header = tables.export_header(title, EXPORTS[export_of]) if export_of else title
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3 h-100")


@when_unavailable(lambda: html.Div([page_header("Discover"), unavailable_alert()]))
def layout(artist: str = "", **_query: str) -> html.Div:
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return html.Div([page_header("Discover"), no_publication_alert()])
        pid = publication.publication_id
        summary = discover_queries.discover_summary(conn=conn, publication_id=pid)
        seeds = discover_queries.seed_artists(conn=conn, publication_id=pid)
        micro = discover_queries.micro_genres(conn=conn, publication_id=pid)
        points = discover_queries.map_points(conn=conn, publication_id=pid)
        by_genre = discover_queries.genre_evolution(conn=conn, publication_id=pid, kind="genre")
        by_micro = discover_queries.genre_evolution(conn=conn, publication_id=pid, kind="micro_genre")
        genres = discover_queries.playlist_genres(conn=conn, publication_id=pid)
    chosen = urlstate.text(artist) or (str(seeds["artist_id"].iloc[0]) if len(seeds) else None)
    title = html.Span(["Discover", demo_badge() if publication.is_demo else None])
    return html.Div(
        [
            page_header(title, "Segments, drivers and ideas for an artist; the sound of the market; playlists."),
            *missing_alerts(summary),
            *artist_section(seeds, chosen),
            *sound_section(summary, micro, points, by_genre, by_micro),
            discover_playlist.section(micro, genres),
        ]
    )


def missing_alerts(summary: dict) -> list[dbc.Alert]:
    """What this publication's Discover stage could not compute, in words (or that it never ran)."""
    if not summary:
        return [dbc.Alert("This publication has no discover results (published before the Discover stage).",
                          color="info")]  # fmt: skip
    return [dbc.Alert(text, color="secondary", className="py-2 mb-2") for text in summary.get("missing", [])]


def artist_section(seeds: Any, chosen: str | None) -> list[Any]:
    """The artist picker, then its segment, drivers, underperformers and collaboration ideas (filled later)."""
    options = [{"label": f"{r.name}", "value": r.artist_id} for r in seeds.itertuples()]
    if chosen and chosen not in set(seeds["artist_id"]):
        options.append({"label": chosen, "value": chosen})
    picker = dcc.Dropdown(id=ids.DISCOVER_ARTIST, options=options, value=chosen, clearable=False, className="mb-2",
                          placeholder="Pick an artist")  # fmt: skip
    segment = _card(
        "Segment",
        tables.grid(ids.DISCOVER_SEGMENT, SEGMENT_COLUMNS, file_name="segment.csv", page_size=10),
        export_of=ids.DISCOVER_SEGMENT,
    )
    under = _card(
        "Underperformers: the segment expects more (promotion candidates)",
        tables.grid(ids.DISCOVER_UNDER, UNDER_COLUMNS, file_name="underperformers.csv", page_size=10),
        export_of=ids.DISCOVER_UNDER,
    )
    ideas = _card(
        "Collaboration ideas: worked with the closest segment artists, never with this one",
        tables.grid(ids.DISCOVER_IDEAS, IDEA_COLUMNS, file_name="collaboration-ideas.csv", page_size=10),
        export_of=ids.DISCOVER_IDEAS,
    )
    drivers = _card("Drivers", dcc.Graph(id=ids.DISCOVER_DRIVERS, config={"displaylogo": False}))
    return [
        html.H3("Market segment", className="h5 mt-2"),
        picker,
        html.Div(id=ids.DISCOVER_SEGMENT_NOTE),
        dbc.Row([dbc.Col(segment, lg=4), dbc.Col(drivers, lg=8)], className="g-3"),
        dbc.Row([dbc.Col(under, lg=6), dbc.Col(ideas, lg=6)], className="g-3 mt-1"),
    ]


def sound_section(summary: dict, micro: Any, points: Any, by_genre: Any, by_micro: Any) -> list[Any]:
    regression = summary.get("regression") or {}
    if micro.empty:
        facts: object = "No micro-genres in this publication."
    else:
        facts = (
            f"{len(micro)} micro-genres (k chosen by silhouette in {summary.get('k_range')}: silhouette"
            f" {summary.get('silhouette')}) over {summary.get('n_audio_tracks')} tracks with audio features."
        )
    rows = [micro_item(r) for r in micro.itertuples()]
    return [
        html.H3("Sound", className="h5 mt-4"),
        html.P(facts, id=ids.DISCOVER_MICRO_FACTS, className="small text-muted"),
        dbc.Row(
            [
                dbc.Col(
                    dcc.Graph(
                        id=ids.DISCOVER_MAP,
                        figure=discover_figures.micro_map(points, micro),
                        config={"displaylogo": False},
                    ),
                    lg=7,
                ),  # fmt: skip
                dbc.Col(_card("Micro-genres", html.Ul(rows, className="small mb-0")), lg=5),
            ],
            className="g-3",
        ),
        dbc.Row(
            [
                dbc.Col(
                    dcc.Graph(
                        figure=discover_figures.evolution_figure(by_genre, title="Genres among hits"),
                        config={"displaylogo": False},
                    ),
                    lg=6,
                ),  # fmt: skip
                dbc.Col(
                    dcc.Graph(
                        figure=discover_figures.evolution_figure(by_micro, title="Micro-genres among hits"),
                        config={"displaylogo": False},
                    ),
                    lg=6,
                ),  # fmt: skip
            ],
            className="g-3 mt-1",
        ),
        regression_card(regression),
    ]


def micro_item(row: Any) -> html.Li:
    rate = f"{row.hit_rate:.0%} hits" if pd.notna(row.hit_rate) else "hit rate unknown"
    genres = ", ".join(f"{g['genre']} {g['share']:.0%}" for g in row.top_genres)
    return html.Li([html.Strong(row.label), f": {row.n_tracks} tracks, {rate}, {row.n_outliers} outliers; {genres}"])


def regression_card(regression: dict) -> dbc.Card:
    if not regression:
        return _card("Popularity regression", "Not fitted: too few dated tracks with audio features and a popularity.")
    model = regression["model"]
    lines = [html.Li(f"LightGBM: RMSE {model['rmse']}, MAE {model['mae']}")]
    lines += [html.Li(f"{name}: RMSE {m['rmse']}, MAE {m['mae']}") for name, m in regression["baselines"].items()]
    note = (f"Forward validation: trained on {regression['n_train']} older releases, tested on the "
            f"{regression['n_test']} released from {regression['test_from']}. ")  # fmt: skip
    note += _predictions_note(regression)
    return _card("Popularity regression (peak popularity from sound and timing)",
                 [html.P(note, className="small"), html.Ul(lines, className="small mb-0")])  # fmt: skip


def _predictions_note(regression: dict) -> str:
    if regression.get("predictions", "").startswith("out-of-fold"):
        return ("Each published predicted popularity is out-of-fold: it comes from a fit on the other release-date"
                " blocks, never on the track itself.")  # fmt: skip
    return "The published predictions were refitted on all tracks (in-sample): the next run makes them out-of-fold."


@callback(
    Output(ids.DISCOVER_SEGMENT_NOTE, "children"),
    Output(ids.DISCOVER_SEGMENT, "rowData"),
    Output(ids.DISCOVER_DRIVERS, "figure"),
    Output(ids.DISCOVER_UNDER, "rowData"),
    Output(ids.DISCOVER_IDEAS, "rowData"),
    Input(ids.DISCOVER_ARTIST, "value"),
)
@when_unavailable(lambda: (unavailable_alert(), [], unavailable_figure(), [], []))
def render_artist(artist_id: str | None) -> tuple[object, list, object, list, list]:
    """The artist's segment note, segment grid, drivers figure, underperformers and collaboration ideas,
    cached per (publication, artist): a publication never changes."""
    artist_id = urlstate.text(artist_id) or ""
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None or not artist_id:
            return None, [], empty_figure("Pick an artist."), [], []
        key = ("discover-artist", publication_cache.publication_key(publication), artist_id)
        return publication_cache.get_or_build(key, lambda: _artist_view(conn, publication.publication_id, artist_id))


def _artist_view(conn: Connection, pid: int, artist_id: str) -> tuple[object, list, object, list, list]:
    seg = discover_queries.segment(conn=conn, publication_id=pid, artist_id=artist_id)
    drv = discover_queries.drivers(conn=conn, publication_id=pid, artist_id=artist_id)
    under = discover_queries.underperformers(conn=conn, publication_id=pid, artist_id=artist_id)
    ideas = discover_queries.collab_ideas(conn=conn, publication_id=pid, artist_id=artist_id)
    return segment_note(seg, drv, under, ideas), tables.records(seg), discover_figures.drivers_figure(drv), \
        tables.records(under), tables.records(ideas)  # fmt: skip


BASIS_WORDS = {"lastfm": "Last.fm similar artists", "demo": "the demo's similar-artist network",
               "sound": "nearest artists by sound and genre (no similar-artist list)"}  # fmt: skip


def segment_note(seg: Any, drv: Any, under: Any, ideas: Any) -> object:
    if seg.empty:
        return dbc.Alert("No segment for this artist: segments are precomputed for the most popular artists and every"
                         " watched artist (DISCOVER_SEEDS), where similar artists or audio features exist.",
                         color="secondary")  # fmt: skip
    basis = BASIS_WORDS.get(str(seg["basis"].iloc[0]), str(seg["basis"].iloc[0]))
    hops = int(seg["hop"].max())
    parts = [f"Segment: {len(seg)} artists over {hops} hop{'s' if hops > 1 else ''}, from {basis}."]
    if drv.empty:
        parts.append(" Too few segment tracks with a popularity for a segment model.")
    else:
        parts.append(f" Segment model trained on {int(drv['n_tracks'].iloc[0])} tracks (this artist's own left out).")
    if under.empty and not drv.empty:
        parts.append(" None of this artist's tracks does worse than the segment expects.")
    if ideas.empty:
        parts.append(" No collaboration ideas: the closest artists have no collaborators this artist lacks.")
    return html.P("".join(parts), className="small text-muted", id=ids.DISCOVER_SEGMENT_FACTS)


for _grid, _button in EXPORTS.items():
    tables.export_on_click(_grid, _button)
