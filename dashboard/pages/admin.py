"""Admin: request a refresh or a retrain through the queue, watch it run, run history, source health.

A click adds a row to `refresh_requests` (core.queue); the worker claims it. Two clicks while one request
is pending make one run. The page polls every few seconds so a run's progress shows without reloading.
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from core.queue import enqueue_request
from core.settings import get_settings
from dashboard import ids, queries, tables, urlstate
from dashboard.admin_security import security_card
from dashboard.auth import current_user, require_admin
from dashboard.components import age_text, page_header, unavailable_alert
from dashboard.db import DataUnavailable, reading, writing

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/admin", name="Admin", title="Hitscope · Admin", order=9, nav=True, admin=True)

POLL_MS = 5_000


def layout(**_query: str) -> html.Div:
    user = current_user()
    if user is None or not user.is_admin:
        return html.Div(
            [
                page_header("Admin"),
                dbc.Alert("This page is for admins. Ask an admin if you need a refresh.", color="secondary"),
            ]
        )
    default_source = get_settings().SOURCE
    request_card = dbc.Card(
        [
            dbc.CardHeader("Request a refresh"),
            dbc.CardBody(
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Source", html_for=ids.ADMIN_SOURCE, className="small text-muted"),
                                    dcc.Dropdown(
                                        id=ids.ADMIN_SOURCE,
                                        options=[{"label": default_source, "value": default_source}],
                                        value=default_source,
                                        clearable=False,
                                    ),
                                ],
                                xs=12,
                                md=6,
                            ),
                            dbc.Col(
                                [
                                    dbc.Button("Request refresh", id=ids.ADMIN_REFRESH, color="primary"),
                                    dbc.Button(
                                        "Request retrain",
                                        id=ids.ADMIN_RETRAIN,
                                        color="secondary",
                                        outline=True,
                                    ),
                                ],
                                xs=12,
                                md=6,
                                className="mt-2 mt-md-0 d-flex gap-2",
                            ),
                        ],
                        className="g-2 align-items-end",
                    ),
                    html.Div(id=ids.ADMIN_REFRESH_RESULT, className="mt-3"),
                    html.Div(id=ids.ADMIN_QUEUE, className="small"),
                ]
            ),
        ],
        className="mb-3",
    )
    history = dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [html.Span("Run history"), tables.export_button(ids.ADMIN_RUNS + "-export")],
                    className="d-flex justify-content-between align-items-center",
                )
            ),
            dbc.CardBody(
                tables.grid(ids.ADMIN_RUNS, tables.RUN_COLUMNS, file_name="hitscope-runs.csv", column_size="autoSize")
            ),
        ]
    )
    health = dbc.Card(
        [dbc.CardHeader("Source health"), dbc.CardBody(html.Div(id=ids.ADMIN_HEALTH, className="small"))],
        className="mb-3",
    )
    return html.Div(
        [
            page_header("Admin", "Refresh the data, watch runs, and check what each run did."),
            dcc.Interval(id=ids.ADMIN_POLL, interval=POLL_MS),
            request_card,
            health,
            security_card(),
            history,
        ]
    )


@callback(
    Output(ids.ADMIN_REFRESH_RESULT, "children"),
    Input(ids.ADMIN_REFRESH, "n_clicks"),
    Input(ids.ADMIN_RETRAIN, "n_clicks"),
    State(ids.ADMIN_SOURCE, "value"),
    prevent_initial_call=True,
)
def request_refresh(n_clicks: int | None, retrain_clicks: int | None = None, source: str | None = None) -> object:
    """Enqueue a manual refresh (or retrain) for the chosen source; say whether it joined a pending one.

    The admin check is here, in the callback, so a viewer who crafts the request is refused (and logged).
    """
    kind = "train" if urlstate.triggered_id() == ids.ADMIN_RETRAIN else "refresh"
    if not (retrain_clicks if kind == "train" else n_clicks):
        return dash.no_update
    admin = require_admin(f"{kind} request")
    if admin is None:
        return dbc.Alert(f"Refused: only admins can request a {kind}. The attempt was logged.", color="danger")
    source = urlstate.text(source) or get_settings().SOURCE
    try:
        with writing() as conn:
            if source != get_settings().SOURCE and source not in queries.known_sources(conn=conn):
                logger.warning("refused a %s of unknown source %r requested by %s", kind, source, admin.name)
                return dbc.Alert(f"Unknown source '{source}': pick one from the list.", color="warning")
            enqueued = enqueue_request(conn=conn, kind=kind, source=source, trigger="manual", requested_by=admin.name)
    except DataUnavailable:
        return unavailable_alert()
    logger.info("%s of %s requested by %s: request %s", kind, source, admin.name, enqueued.request_id)
    what = "Retrain" if kind == "train" else "Refresh"
    if enqueued.created:
        message = f"{what} of '{source}' requested (request #{enqueued.request_id}): the worker starts it soon."
    else:
        message = f"A {kind} of '{source}' is already pending (request #{enqueued.request_id}): yours joins it."
    return dbc.Alert(message, color="success" if enqueued.created else "info", dismissable=True)


@callback(
    Output(ids.ADMIN_QUEUE, "children"),
    Output(ids.ADMIN_RUNS, "rowData"),
    Output(ids.ADMIN_SOURCE, "options"),
    Output(ids.ADMIN_HEALTH, "children"),
    Input(ids.ADMIN_POLL, "n_intervals"),
    Input(ids.ADMIN_REFRESH_RESULT, "children"),
)
def render_runs(_tick: int | None, _result: object) -> tuple[object, object, object, object]:
    if require_admin("run history") is None:
        return dbc.Alert("Admins only.", color="secondary"), [], [], None
    try:
        with reading() as conn:
            pending = queries.open_requests(conn=conn)
            runs = queries.run_history(conn=conn, limit=200)
            sources = queries.known_sources(conn=conn)
            health = queries.source_health(conn=conn)
            publication = queries.current_publication(conn=conn)
    except DataUnavailable:
        return unavailable_alert(), dash.no_update, dash.no_update, dash.no_update
    default_source = get_settings().SOURCE
    options = [{"label": s, "value": s} for s in sorted({default_source, *sources})]
    if pending.empty:
        queue = html.Span("No request waiting.", className="text-muted")
    else:
        queue = html.Ul(
            [
                html.Li(
                    f"#{row.request_id} {row.kind} of {row.source} by {row.requested_by}: {row.status}"
                    + (f" (run #{int(row.run_id)})" if pd.notna(row.run_id) else "")
                )
                for row in pending.itertuples()
            ],
            className="mb-0",
        )
    return queue, tables.run_rows(runs), options, source_health(health, publication)


def source_health(health: pd.DataFrame, publication: queries.Publication | None) -> list[object]:
    """One line per source (its latest run and last success), then what the current publication lacks."""
    lines: list[object] = []
    for row in health.itertuples():
        colour = {"succeeded": "success", "failed": "danger", "running": "primary"}.get(row.status, "dark")
        last_ok = age_text(row.last_success.to_pydatetime()) if pd.notna(row.last_success) else "never"
        lines.append(
            html.Div(
                [
                    html.Strong(row.source, className="me-2"),
                    dbc.Badge(row.status, color=colour, className="me-2"),
                    f"latest {row.kind} started {age_text(row.started_at.to_pydatetime())}; "
                    f"last success {last_ok}; {row.n_warnings} warning(s)",
                    html.Div(row.error, className="text-danger text-truncate") if row.error else None,
                ],
                className="mb-1",
            )
        )
    if not lines:
        lines.append(html.Div("No run yet.", className="text-muted"))
    if publication is not None:
        summary = publication.summary or {}
        missing = summary.get("unavailable_metrics") or []
        warnings = summary.get("warnings") or []
        lines.append(
            html.Div(
                f"Current publication ({publication.source}, {publication.snapshot_date}): "
                + (
                    f"metrics unavailable from the source: {', '.join(missing)}. "
                    if missing
                    else "every metric present. "
                )
                + (f"{len(warnings)} warning(s): {'; '.join(warnings[:3])}" if warnings else "no warnings."),
                className="text-muted mt-2",
            )
        )
    return lines


@callback(
    Output(ids.ADMIN_RUNS, "exportDataAsCsv"),
    Input(ids.ADMIN_RUNS + "-export", "n_clicks"),
    prevent_initial_call=True,
)
def export_runs(n_clicks: int | None) -> bool:
    return bool(n_clicks)
