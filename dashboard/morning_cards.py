"""The Morning page's cards (pure layout builders): freshness, headline numbers of the chosen genre, the last run.

The page's callbacks (dashboard/pages/morning.py) read the data and call these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from core.settings import get_settings
from dashboard import calibration, formats, glossary, ids, queries, run_view, static_html
from dashboard.components import age_text, demo_badge

STATUS_COLOURS = {"succeeded": "success", "failed": "danger", "running": "primary"}


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


def _stat(label: str, value: object) -> html.Div:
    """A number's card, in Bootstrap's own classes (a column of 6 on a phone, equal columns from md up): plain
    html, so the headline numbers fold into one component (dashboard/static_html.py)."""
    body = html.Div([html.Div(label, className="text-muted small"), html.Div(value, className="fs-4")],
                    className="card-body")  # fmt: skip
    return html.Div(html.Div(body, className="card h-100"), className="col-6 col-md mb-2")


def headline_cards(counts: dict[str, Any], publication: queries.Publication, genre: str | None) -> object:
    """The headline numbers of the genre chosen (or all), and which metrics the source observed: one component."""
    scope = formats.genre(genre) if genre else "All genres"
    cards = html.Div(
        [
            _stat(f"Artists ranked · {scope}", formats.count(counts.get("n_artists", 0))),
            _stat("Rising this week", formats.count(counts.get("n_rising", 0))),
            _stat("Tracks scored", formats.count(counts.get("n_scored", 0))),
            _stat(f"Emerging (≥ {formats.pct(calibration.LIST_FLOOR, 0)})", formats.count(counts.get("n_emerging", 0))),
            _stat("Artists with a spike", formats.count(counts.get("n_alerted", 0))),
        ],
        className="row g-2",
    )
    summary = publication.summary or {}
    metrics = [glossary.label(m) for m in summary.get("metrics") or []]
    details = [html.Span("Metrics observed: ", className="text-muted"), ", ".join(metrics) or "none"]
    children: list[object] = [cards, html.Div(details, className="small mt-1")]
    unavailable = [glossary.label(m) for m in summary.get("unavailable_metrics") or []]
    if unavailable:
        children.append(
            html.Div(
                [html.Span("Not available from this source: ", className="text-muted"), ", ".join(unavailable)],
                className="small",
            )
        )
    return static_html.fold(html.Div(children))


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
                        + f" · {seconds:,.0f} s" + ("" if run.finished_at else " so far"),
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
