"""Morning (home): is the data fresh, what did the last run do, the headline numbers of the publication."""

from __future__ import annotations

from datetime import UTC, datetime

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids, queries
from dashboard.components import (
    age_text,
    demo_badge,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import DataUnavailable, reading

dash.register_page(__name__, path="/", name="Morning", title="Hitscope · Morning", order=0, nav=True)

STALE_AFTER_HOURS = 36  # a daily refresh that has not published for this long is late
STATUS_COLOURS = {"succeeded": "success", "failed": "danger", "running": "primary"}


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header("Morning", "What is fresh, what ran, and the numbers of the current publication."),
            dcc.Interval(id=ids.MORNING_LOAD, interval=60_000),
            html.Div(id=ids.MORNING_FRESHNESS),
            html.Div(id=ids.MORNING_HEADLINES, className="mb-3"),
            html.Div(id=ids.MORNING_LAST_RUN),
        ]
    )


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
    except DataUnavailable:
        return unavailable_alert(), None, None
    run_card = last_run_card(latest)
    if publication is None:
        return no_publication_alert(), None, run_card
    return freshness_card(publication, succeeded), headline_cards(publication), run_card


def freshness_card(publication: queries.Publication, succeeded: queries.RunInfo | None) -> dbc.Alert:
    now = datetime.now(UTC)
    stale = (now - publication.published_at).total_seconds() > STALE_AFTER_HOURS * 3600
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
        lines.append(
            html.Div("Simulated market: not real artists or streams.", className="small fw-semibold")
        )
    if stale:
        lines.append(
            html.Div(
                f"This publication is more than {STALE_AFTER_HOURS} hours old: check the worker and the "
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


def last_run_card(run: queries.RunInfo | None) -> dbc.Card:
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
        if run.error:
            body.append(html.Pre(run.error, className="small text-danger mt-2 mb-0 text-wrap"))
    return dbc.Card(
        [dbc.CardHeader("Last run"), dbc.CardBody(body + [dcc.Link("Run history →", href="/admin")])],
        className="mb-3",
    )
