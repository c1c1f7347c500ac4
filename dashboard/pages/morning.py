"""Morning (home): freshness and last run, the emerging-hit list, top risers, alerts, headline numbers.

The genre and the risers' window and basis live in the URL (`/?genre=latin&window=28&basis=percent`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from core.settings import get_settings
from dashboard import ids, ops_queries, queries, run_view, tables, urlstate, watch_ui
from dashboard.components import (
    age_text,
    demo_badge,
    genre_options,
    no_model_alert,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import DataUnavailable, reading

dash.register_page(__name__, path="/", name="Morning", title="Hitscope · Morning", order=0, nav=True)

STATUS_COLOURS = {"succeeded": "success", "failed": "danger", "running": "primary"}
DEFAULTS: dict[str, object] = {"genre": None, "window": "7", "basis": "points"}
RISER_LIMIT = 15
ALERT_LIMIT = 15


def parse_filters(query: dict[str, object]) -> dict[str, object]:
    return {
        "genre": urlstate.one(query.get("genre")),
        "window": urlstate.choice(query.get("window"), ("7", "28"), "7"),
        "basis": urlstate.choice(query.get("basis"), ("points", "percent"), "points"),
    }


def _card(title: object, body: object, *, export_id: str | None = None) -> dbc.Card:
    header = html.Div(
        [html.Span(title), tables.export_button(export_id) if export_id else None],
        className="d-flex justify-content-between align-items-center",
    )
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3 h-100")


def layout(**query: str) -> html.Div:
    filters = parse_filters(query)
    genre = filters["genre"]
    risers_controls = html.Div(
        [
            dbc.RadioItems(
                id=ids.MORNING_RISER_WINDOW,
                options=[{"label": "7 days", "value": "7"}, {"label": "28 days", "value": "28"}],
                value=filters["window"],
                inline=True,
                className="me-3",
            ),
            dbc.RadioItems(
                id=ids.MORNING_RISER_BASIS,
                options=[{"label": "points", "value": "points"}, {"label": "%", "value": "percent"}],
                value=filters["basis"],
                inline=True,
            ),
        ],
        className="d-flex flex-wrap small mb-2",
    )
    return html.Div(
        [
            dcc.Location(id=ids.MORNING_URL, refresh=False),
            page_header("Morning", "What is breaking: the emerging hits, who is rising, what spiked."),
            dcc.Interval(id=ids.MORNING_LOAD, interval=60_000),
            html.Div(id=ids.MORNING_FRESHNESS),
            dbc.Row(
                dbc.Col(
                    dcc.Dropdown(
                        id=ids.MORNING_GENRE,
                        options=genre_options([genre]) if genre else [],
                        value=genre,
                        placeholder="All genres",
                    ),
                    xs=12,
                    md=4,
                ),
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _card(
                            "Emerging hits: not a hit yet, most likely to become one",
                            [
                                html.Div(id=ids.MORNING_EMERGING_NOTE),
                                tables.grid(ids.MORNING_EMERGING, tables.EMERGING_COLUMNS,
                                            file_name="hitscope-emerging.csv"),
                            ],
                            export_id=ids.MORNING_EMERGING_EXPORT,
                        ),
                        lg=7,
                        className="mb-3",
                    ),
                    dbc.Col(
                        _card(
                            "Top risers",
                            [risers_controls, tables.grid(ids.MORNING_RISERS, tables.RISER_COLUMNS,
                                                          file_name="hitscope-risers.csv")],
                        ),
                        lg=5,
                        className="mb-3",
                    ),
                ],
                className="g-3",
            ),
            _card("Alerts: spikes against an artist's own trend", html.Div(id=ids.MORNING_ALERTS)),
            watch_ui.morning_card(),
            html.Div(id=ids.MORNING_HEADLINES, className="mt-3 mb-3"),
            html.Div(id=ids.MORNING_LAST_RUN),
        ]
    )  # fmt: skip


@callback(
    Output(ids.MORNING_FRESHNESS, "children"),
    Output(ids.MORNING_HEADLINES, "children"),
    Output(ids.MORNING_LAST_RUN, "children"),
    Input(ids.MORNING_LOAD, "n_intervals"),
)
def render_morning(_tick: int | None) -> tuple[object, object, object]:
    try:
        with reading() as conn:
            publication = queries.current_publication(conn=conn)
            succeeded = queries.last_run(conn=conn, status="succeeded")
            latest = queries.last_run(conn=conn)
            outcome = ops_queries.run_outcome(conn=conn, run_id=latest.run_id) if latest else None
    except DataUnavailable:
        return unavailable_alert(), None, None
    run_card = last_run_card(latest, outcome)
    if publication is None:
        return no_publication_alert(), None, run_card
    return freshness_card(publication, succeeded), headline_cards(publication), run_card


def freshness_card(publication: queries.Publication, succeeded: queries.RunInfo | None) -> dbc.Alert:
    now = datetime.now(UTC)
    stale_hours = get_settings().STALE_AFTER_HOURS
    stale = (now - publication.published_at).total_seconds() > stale_hours * 3600
    last_ok = succeeded.finished_at if succeeded else None
    title = [
        html.Span("Data as of ", className="me-1"),
        html.Strong(publication.snapshot_date.isoformat()),
        html.Span(f" · source {publication.source}", className="ms-1"),
    ]
    if publication.is_demo:
        title.append(demo_badge())
    lines = [
        html.Div(title, className="fs-5"),
        html.Div(
            f"Published {age_text(publication.published_at, now)} (run #{publication.run_id}); "
            f"last successful run finished {age_text(last_ok, now)}.",
            className="small",
        ),
    ]
    if publication.is_demo:
        lines.append(html.Div("Simulated market: not real artists or streams.", className="small fw-semibold"))
    if stale:
        lines.append(
            html.Div(
                f"This publication is more than {stale_hours} hours old: check the worker and the "
                "Admin page's run history.",
                className="small fw-semibold",
            )
        )
    return dbc.Alert(lines, color="warning" if stale else "light", className="mb-3 border")


def _stat(label: str, value: object) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody([html.Div(label, className="text-muted small"), html.Div(value, className="fs-4")]),
            className="h-100",
        ),
        xs=6,
        md=3,
        className="mb-2",
    )


def headline_cards(publication: queries.Publication) -> list[object]:
    summary = publication.summary or {}
    rows = summary.get("rows") or {}
    metrics = summary.get("metrics") or []
    cards = dbc.Row(
        [
            _stat("Artists tracked", f"{int(summary.get('n_artists', 0)):,}"),
            _stat("Tracks released", f"{int(summary.get('n_tracks', 0)):,}"),
            _stat("Observations that day", f"{int(summary.get('n_observations', 0)):,}"),
            _stat("Artists on the leaderboard", f"{int(rows.get('agg_artist_leaderboard', 0)):,}"),
        ],
        className="g-2",
    )
    details = [html.Span("Metrics observed: ", className="text-muted"), ", ".join(metrics) or "none"]
    children: list[object] = [cards, html.Div(details, className="small mt-1")]
    unavailable = summary.get("unavailable_metrics") or []
    if unavailable:
        children.append(
            html.Div(
                [
                    html.Span("Not available from this source: ", className="text-muted"),
                    ", ".join(unavailable),
                ],
                className="small",
            )
        )
    return children


def last_run_card(run: queries.RunInfo | None, outcome: dict[str, object] | None = None) -> dbc.Card:
    if run is None:
        body: list[object] = [html.Div("No run has been recorded yet.", className="text-muted")]
    else:
        finished = run.finished_at or datetime.now(UTC)
        seconds = (finished - run.started_at).total_seconds()
        body = [
            html.Div(
                [
                    dbc.Badge(run.status, color=STATUS_COLOURS.get(run.status, "dark"), className="me-2"),
                    html.Strong(f"{run.kind} #{run.run_id}"),
                    html.Span(
                        f" · {run.trigger}" + (f" by {run.requested_by}" if run.requested_by else "")
                        + f" · source {run.source} · started {age_text(run.started_at)}"
                        + f" · {seconds:.0f} s" + ("" if run.finished_at else " so far"),
                        className="text-muted",
                    ),
                ]
            )
        ]  # fmt: skip
        if outcome:  # what the run did, in words, so it never reads as contradicting the freshness line
            body.append(html.Div(run_view.outcome_sentence(outcome), className="small mt-1", id=ids.MORNING_RUN_STORY))
        if run.error:
            body.append(html.Pre(run.error, className="small text-danger mt-2 mb-0 text-wrap"))
    return dbc.Card(
        [dbc.CardHeader("Last run"), dbc.CardBody(body + [dcc.Link("Run history →", href="/admin")])],
        className="mb-3",
    )


@callback(
    Output(ids.MORNING_EMERGING_NOTE, "children"),
    Output(ids.MORNING_EMERGING, "rowData"),
    Output(ids.MORNING_RISERS, "rowData"),
    Output(ids.MORNING_ALERTS, "children"),
    Output(ids.MORNING_GENRE, "options"),
    Input(ids.MORNING_GENRE, "value"),
    Input(ids.MORNING_RISER_WINDOW, "value"),
    Input(ids.MORNING_RISER_BASIS, "value"),
)
def render_lists(genre: str | None, window: str, basis: str) -> tuple[object, ...]:
    """The emerging-hit list, the risers and the alerts of one publication, for one genre or all."""
    genre = urlstate.text(genre)
    days = 28 if urlstate.one(window) == "28" else 7
    basis = urlstate.choice(basis, ("points", "percent"), "points")
    try:
        with reading() as conn:
            publication = queries.current_publication(conn=conn)
            if publication is None:
                return None, [], [], None, []
            pid = publication.publication_id
            size = get_settings().EMERGING_LIST_SIZE
            emerging = queries.emerging_hits(conn=conn, publication_id=pid, genre=genre, limit=size)
            n_scored = queries.scored_track_count(conn=conn, publication_id=pid)
            risers = queries.top_risers(
                conn=conn, publication_id=pid, genre=genre, window=days, basis=basis, limit=RISER_LIMIT
            )
            spikes = queries.alerts(conn=conn, publication_id=pid, genre=genre, limit=ALERT_LIMIT)
            genres = queries.leaderboard_genres(conn=conn, publication_id=pid)
            training = ops_queries.running_run(conn=conn, kind="train") if n_scored == 0 else None
    except DataUnavailable:
        return unavailable_alert(), dash.no_update, dash.no_update, None, dash.no_update
    if n_scored == 0:
        note = run_view.training_alert(training) if training else no_model_alert("No track scores in this publication.")
    elif emerging.empty:
        note = html.Div("No scored track of this genre is below the hit threshold.", className="text-muted small")
    else:
        note = html.Div(
            f"The {len(emerging)} non-hits with the highest hit probability" + (f" in {genre}." if genre else "."),
            className="text-muted small mb-1",
        )
    emerging_rows = tables.rounded_rows(emerging, {"probability": 3, "popularity": 0, "momentum_7d": 1})
    riser_rows = tables.rounded_rows(risers, {"popularity": 0, "change_points": 1, "change_pct": 1})
    if spikes.empty:
        alerts_body: object = html.Div(
            "No spike against an artist's own trend in this publication" + (f" for {genre}." if genre else "."),
            className="text-muted small",
        )
    else:
        alerts_body = tables.grid(ids.MORNING_ALERTS_GRID, tables.ALERT_COLUMNS, file_name="hitscope-alerts.csv")
        alerts_body.rowData = tables.rounded_rows(spikes, {"value": 0, "expected": 0, "zscore": 1})
    return note, emerging_rows, riser_rows, alerts_body, genre_options(genres)


@callback(
    Output(ids.MORNING_EMERGING, "exportDataAsCsv"),
    Input(ids.MORNING_EMERGING_EXPORT, "n_clicks"),
    prevent_initial_call=True,
)
def export_emerging(n_clicks: int | None) -> bool:
    return bool(n_clicks)


@callback(
    Output(ids.MORNING_URL, "search"),
    Output(ids.MORNING_GENRE, "value"),
    Output(ids.MORNING_RISER_WINDOW, "value"),
    Output(ids.MORNING_RISER_BASIS, "value"),
    Input(ids.MORNING_URL, "search"),
    Input(ids.MORNING_GENRE, "value"),
    Input(ids.MORNING_RISER_WINDOW, "value"),
    Input(ids.MORNING_RISER_BASIS, "value"),
    prevent_initial_call=True,
)
def morning_url(search: str | None, genre: str | None, window: str, basis: str) -> tuple[object, ...]:
    """Controls -> query string; query string (back/forward) -> controls."""
    filters = parse_filters({"window": window, "basis": basis})
    values = {"genre": urlstate.text(genre), "window": filters["window"], "basis": filters["basis"]}
    return urlstate.sync_url(search, ids.MORNING_URL, values, parse_filters, DEFAULTS)
