"""Track (`/track/<track_id>`): hit probability, what drove it (a waterfall of contributions), history."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids, queries, similar_tracks, urlstate
from dashboard.components import (
    demo_badge,
    entity_link,
    no_model_alert,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import DataUnavailable, reading
from dashboard.figures import empty_figure, history_lines
from dashboard.model_figures import contributions_waterfall

dash.register_page(__name__, path_template="/track/<track_id>", name="Track", title="Hitscope · Track", nav=False)


def layout(track_id: str = "", **_query: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.TRACK_ID, data=urlstate.path_id(track_id)),
            html.Div(id=ids.TRACK_HEADER),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.TRACK_WATERFALL, config={"displaylogo": False}), lg=6),
                    dbc.Col(dcc.Graph(id=ids.TRACK_HISTORY, config={"displaylogo": False}), lg=6),
                ],
                className="g-3",
            ),
            similar_tracks.panel(),
        ]
    )


@callback(
    Output(ids.TRACK_HEADER, "children"),
    Output(ids.TRACK_WATERFALL, "figure"),
    Output(ids.TRACK_HISTORY, "figure"),
    Input(ids.TRACK_ID, "data"),
)
def render_track(track_id: str) -> tuple[object, object, object]:
    track_id = urlstate.text(track_id) or ""
    try:
        with reading() as conn:
            publication = queries.current_publication(conn=conn)
            info = queries.track_info(conn=conn, track_id=track_id)
            score = (
                queries.track_score(conn=conn, publication_id=publication.publication_id, track_id=track_id)
                if publication
                else None
            )
            scored = (
                queries.scored_track_count(conn=conn, publication_id=publication.publication_id) if publication else 0
            )
            history = queries.metric_history(conn=conn, entity_type="track", entity_id=track_id)
    except DataUnavailable:
        empty = empty_figure("Data temporarily unavailable.")
        return unavailable_alert(), empty, empty
    if info is None:
        empty = empty_figure("Unknown track.")
        return (
            [page_header("Track not found"), dbc.Alert(f"No track with id {track_id!r}.", color="warning")],
            empty,
            empty,
        )
    history_figure = history_lines(history, title="History")
    header: list[object] = [track_header(info, score, publication)]
    if publication is None:
        header.append(no_publication_alert())
        return header, empty_figure("Nothing published yet."), history_figure
    if score is None:
        if scored == 0:
            header.append(no_model_alert("This publication has no track scores."))
        else:
            header.append(
                dbc.Alert("The model did not score this track (it scores tracks observed in the last week).",
                          color="secondary")
            )  # fmt: skip
        return header, empty_figure("No score for this track."), history_figure
    return (
        header,
        contributions_waterfall(score.get("contributions") or {}, float(score["probability"])),
        history_figure,
    )


def track_header(info: dict, score: dict | None, publication: queries.Publication | None) -> html.Div:
    title = html.Span([info["name"], demo_badge() if publication and publication.is_demo else None])
    artist = (
        dcc.Link(info["artist_name"], href=entity_link("artist", info["artist_id"])) if info.get("artist_id") else "?"
    )
    facts = [
        html.Span(["by ", artist]),
        html.Span(f" · {info.get('genre') or 'no genre'}"),
        html.Span(f" · released {info['release_date']} ({info.get('release_date_precision') or '?'} precision)")
        if info.get("release_date")
        else None,
    ]
    stats = []
    if score:
        stats = [
            dbc.Badge(f"Hit probability {float(score['probability']):.1%}", color="primary", className="me-2 fs-6"),
            dbc.Badge("already a hit", color="success", className="me-2") if score.get("is_hit") else None,
            html.Span(
                f"popularity {score['popularity']:.0f}" if score.get("popularity") is not None else "",
                className="me-2 text-nowrap",
            ),
            html.Span(
                f"7-day momentum {score['momentum_7d']:+.1f}" if score.get("momentum_7d") is not None else "",
                className="me-2 text-nowrap",
            ),
        ]
    return html.Div(
        [
            html.H2(title, className="h4 mb-1"),
            html.Div(facts, className="text-muted small mb-2"),
            html.Div(stats, className="mb-3"),
        ]
    )
