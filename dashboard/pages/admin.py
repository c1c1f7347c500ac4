"""Admin: request a refresh or a retrain through the queue, watch it run stage by stage, run history, source health,
alert deliveries.

A click adds a row to `refresh_requests` (core.queue); the worker claims it. Two clicks while one request
is pending make one run. The banner then follows that request (every 2 s) until its run has finished and says
what the run did, in words. The running run's stages and progress (`job_runs.progress`) are polled every 2 s,
the run history and deliveries every 5 s.
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from core.queue import enqueue_request
from core.settings import get_settings
from dashboard import admin_view, ids, ops_queries, queries, run_view, tables, urlstate
from dashboard.admin_security import security_card
from dashboard.auth import current_user, require_admin
from dashboard.components import page_header, unavailable_alert
from dashboard.db import reading, when_unavailable, writing

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/admin", name="Admin", title="Hitscope · Admin", order=9, nav=True, admin=True)

POLL_MS = 5_000
PROGRESS_POLL_MS = 2_000


def layout(**_query: str) -> html.Div:
    user = current_user()
    if user is None or not user.is_admin:
        return html.Div(
            [
                page_header("Admin"),
                dbc.Alert("This page is for admins. Ask an admin if you need a refresh.", color="secondary"),
            ]
        )
    return html.Div(
        [
            page_header("Admin", "Refresh the data, watch runs, and check what each run did."),
            dcc.Interval(id=ids.ADMIN_POLL, interval=POLL_MS),
            dcc.Interval(id=ids.ADMIN_PROGRESS_POLL, interval=PROGRESS_POLL_MS),
            request_card(),
            html.Div(id=ids.ADMIN_PROGRESS),
            dbc.Card(
                [dbc.CardHeader("Source health"), dbc.CardBody(html.Div(id=ids.ADMIN_HEALTH, className="small"))],
                className="mb-3",
            ),
            security_card(),
            history_card(),
            deliveries_card(),
        ]
    )


def request_card() -> dbc.Card:
    """The source, the refresh and retrain buttons, what the request did, and the queue."""
    default_source = get_settings().SOURCE
    source = dbc.Col(
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
    )
    buttons = dbc.Col(
        [
            dbc.Button("Request refresh", id=ids.ADMIN_REFRESH, color="primary"),
            dbc.Button("Request retrain", id=ids.ADMIN_RETRAIN, color="secondary", outline=True),
        ],
        xs=12,
        md=6,
        className="mt-2 mt-md-0 d-flex gap-2",
    )
    return dbc.Card(
        [
            dbc.CardHeader("Request a refresh"),
            dbc.CardBody(
                [
                    dbc.Row([source, buttons], className="g-2 align-items-end"),
                    html.Div(id=ids.ADMIN_REFRESH_RESULT, className="mt-3"),
                    html.Div(id=ids.ADMIN_QUEUE, className="small"),
                ]
            ),
        ],
        className="mb-3",
    )


def history_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(tables.export_header("Run history", ids.ADMIN_RUNS_EXPORT)),
            dbc.CardBody(
                tables.grid(ids.ADMIN_RUNS, tables.RUN_COLUMNS, file_name="hitscope-runs.csv", column_size="autoSize")
            ),
        ]
    )


def deliveries_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(tables.export_header("Alert deliveries (email, webhook)", ids.ADMIN_DELIVERIES_EXPORT)),
            dbc.CardBody(
                tables.grid(
                    ids.ADMIN_DELIVERIES, admin_view.DELIVERY_COLUMNS, file_name="hitscope-deliveries.csv", page_size=10
                )
            ),
        ],
        className="mt-3",
    )


@callback(
    Output(ids.ADMIN_REFRESH_RESULT, "children"),
    Input(ids.ADMIN_REFRESH, "n_clicks"),
    Input(ids.ADMIN_RETRAIN, "n_clicks"),
    State(ids.ADMIN_SOURCE, "value"),
    prevent_initial_call=True,
)
@when_unavailable(unavailable_alert)
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
    with writing() as conn:
        if source != get_settings().SOURCE and source not in queries.known_sources(conn=conn):
            logger.warning("refused a %s of unknown source %r requested by %s", kind, source, admin.name)
            return dbc.Alert(f"Unknown source '{source}': pick one from the list.", color="warning")
        enqueued = enqueue_request(conn=conn, kind=kind, source=source, trigger="manual", requested_by=admin.name)
    logger.info("%s of %s requested by %s: request %s", kind, source, admin.name, enqueued.request_id)
    what = "Retrain" if kind == "train" else "Refresh"
    if enqueued.created:
        message = f"{what} of '{source}' requested (request #{enqueued.request_id}): the worker starts it soon."
    else:
        message = f"A {kind} of '{source}' is already pending (request #{enqueued.request_id}): yours joins it."
    return html.Div(  # the banner then follows the request (render_request) until its run has finished
        [
            dcc.Store(id=ids.ADMIN_REQUEST_ID, data=enqueued.request_id),
            dcc.Interval(id=ids.ADMIN_REQUEST_POLL, interval=PROGRESS_POLL_MS),
            dbc.Alert(message, id=ids.ADMIN_REQUEST_TEXT, color="success" if enqueued.created else "info"),
        ]
    )


@callback(
    Output(ids.ADMIN_REQUEST_TEXT, "children"),
    Output(ids.ADMIN_REQUEST_TEXT, "color"),
    Output(ids.ADMIN_REQUEST_POLL, "disabled"),
    Input(ids.ADMIN_REQUEST_POLL, "n_intervals"),
    State(ids.ADMIN_REQUEST_ID, "data"),
    prevent_initial_call=True,
)
@when_unavailable(lambda: (dash.no_update, dash.no_update, False))
def render_request(_tick: int | None, request_id: object) -> tuple[object, object, object]:
    """Where the request is now: waiting, running (stage and progress), or what its run did."""
    if require_admin("request status") is None:
        return "Admins only.", "secondary", True
    try:
        number = int(str(request_id))
    except ValueError:
        return dash.no_update, dash.no_update, True
    with reading() as conn:
        request = ops_queries.request_state(conn=conn, request_id=number)
        run_id = request and (request["run_id"] or ops_queries.running_run_of_request(conn=conn, request_id=number))
        run = ops_queries.run_outcome(conn=conn, run_id=int(run_id)) if run_id else None
    return admin_view.request_banner(number, request, run)


@callback(
    Output(ids.ADMIN_QUEUE, "children"),
    Output(ids.ADMIN_RUNS, "rowData"),
    Output(ids.ADMIN_SOURCE, "options"),
    Output(ids.ADMIN_HEALTH, "children"),
    Input(ids.ADMIN_POLL, "n_intervals"),
    Input(ids.ADMIN_REFRESH_RESULT, "children"),
)
@when_unavailable(lambda: (unavailable_alert(), dash.no_update, dash.no_update, dash.no_update))
def render_runs(_tick: int | None, _result: object) -> tuple[object, object, object, object]:
    if require_admin("run history") is None:
        return dbc.Alert("Admins only.", color="secondary"), [], [], None
    with reading() as conn:
        pending = queries.open_requests(conn=conn)
        runs = queries.run_history(conn=conn, limit=200)
        sources = queries.known_sources(conn=conn)
        health = queries.source_health(conn=conn)
        publication = queries.current_publication(conn=conn)
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
    return queue, tables.run_rows(runs), options, admin_view.source_health(health, publication)


@callback(
    Output(ids.ADMIN_PROGRESS, "children"),
    Input(ids.ADMIN_PROGRESS_POLL, "n_intervals"),
)
@when_unavailable(unavailable_alert)
def render_progress(_tick: int | None) -> object:
    """The running run, stage by stage, with a progress bar on the current stage (nothing when idle)."""
    if require_admin("run progress") is None:
        return None
    with reading() as conn:
        run = ops_queries.running_run(conn=conn)
    return run_view.running_card(run) if run else None


@callback(
    Output(ids.ADMIN_DELIVERIES, "rowData"),
    Input(ids.ADMIN_POLL, "n_intervals"),
)
@when_unavailable(lambda: dash.no_update)
def render_deliveries(_tick: int | None) -> object:
    if require_admin("alert deliveries") is None:
        return []
    with reading() as conn:
        frame = ops_queries.deliveries(conn=conn)
    return tables.records(frame)


tables.export_on_click(ids.ADMIN_DELIVERIES, ids.ADMIN_DELIVERIES_EXPORT)
tables.export_on_click(ids.ADMIN_RUNS, ids.ADMIN_RUNS_EXPORT)
