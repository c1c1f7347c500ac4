"""Model: what the active model relies on, how good it honestly is, how well calibrated, and its versions.

Forward-in-time metrics sit next to the baselines and the leaky random split on the same data, so the gap
between an honest number and a flattering one is visible.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids, ops_queries, queries, run_view, tables
from dashboard.components import no_model_alert, no_publication_alert, page_header, unavailable_alert
from dashboard.db import DataUnavailable, reading
from dashboard.figures import empty_figure
from dashboard.model_figures import calibration_curve, importance_bars

dash.register_page(__name__, path="/model", name="Model", title="Hitscope · Model", order=3, nav=True)


def layout(**_query: str) -> html.Div:
    card = "mb-3"
    return html.Div(
        [
            dcc.Store(id=ids.MODEL_LOAD, data=True),
            page_header("Model", "What the hit model relies on, and how far its scores can be trusted."),
            html.Div(id=ids.MODEL_ALERT),
            html.Div(id=ids.MODEL_SUMMARY, className="mb-2"),
            dbc.Card(
                [
                    dbc.CardHeader("Honest metrics: forward in time, against baselines and the leaky random split"),
                    dbc.CardBody(
                        tables.grid(
                            ids.MODEL_METRICS,
                            tables.METRIC_COLUMNS,
                            file_name="hitscope-metrics.csv",
                        )
                    ),
                ],
                className=card,
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.MODEL_IMPORTANCE, config={"displaylogo": False}), lg=7),
                    dbc.Col(dcc.Graph(id=ids.MODEL_CALIBRATION, config={"displaylogo": False}), lg=5),
                ],
                className="g-3 mb-3",
            ),
            dbc.Card(
                [
                    dbc.CardHeader("Model versions (every version is kept; one is active)"),
                    dbc.CardBody(
                        tables.grid(
                            ids.MODEL_VERSIONS,
                            tables.VERSION_COLUMNS,
                            file_name="hitscope-models.csv",
                        )
                    ),
                ]
            ),
        ]
    )


@callback(
    Output(ids.MODEL_ALERT, "children"),
    Output(ids.MODEL_SUMMARY, "children"),
    Output(ids.MODEL_METRICS, "rowData"),
    Output(ids.MODEL_IMPORTANCE, "figure"),
    Output(ids.MODEL_CALIBRATION, "figure"),
    Output(ids.MODEL_VERSIONS, "rowData"),
    Input(ids.MODEL_LOAD, "data"),
)
def render_model(_load: object) -> tuple[object, ...]:
    empty = empty_figure("No model trained yet.")
    try:
        with reading() as conn:
            publication = queries.current_publication(conn=conn)
            model = queries.active_model(conn=conn)
            versions = queries.model_versions(conn=conn)
            training = ops_queries.running_run(conn=conn, kind="train") if model is None else None
            importance = (
                queries.feature_importance(conn=conn, publication_id=publication.publication_id)
                if publication
                else None
            )
    except DataUnavailable:
        unavailable = empty_figure("Data temporarily unavailable.")
        return unavailable_alert(), None, [], unavailable, unavailable, []
    version_rows = tables.version_rows(versions) if not versions.empty else []
    if model is None:
        notice = run_view.training_alert(training) if training else no_model_alert()
        return notice, None, [], empty, empty, version_rows
    alert = None if publication else no_publication_alert()
    if importance is None or importance.empty:
        importance_figure = empty_figure("The current publication has no feature importance: refresh after training.")
    else:
        importance_figure = importance_bars(importance)
    return (
        alert,
        model_summary(model),
        tables.metric_rows(model.metrics or {}),
        importance_figure,
        calibration_curve((model.metrics or {}).get("calibration") or []),
        version_rows,
    )


def model_summary(model: queries.ModelVersion) -> html.Div:
    label = model.label or {}
    window = model.data_window or {}
    parts = [f"Active model: version {model.model_version_id}, trained {model.created_at:%Y-%m-%d %H:%M} UTC."]
    if label:
        parts.append(
            f"A hit is {label.get('metric', 'the hit metric')} ≥ {label.get('threshold', '?')}"
            + (f" within {label['horizon_days']} days" if label.get("horizon_days") else "")
            + (f" ({label['mode']} labels)." if label.get("mode") else ".")
        )
    if window.get("train_from"):
        parts.append(
            f"Trained on {window.get('train_from')} to {window.get('train_to')}, "
            f"tested on {window.get('test_from')} to {window.get('test_to')}."
        )
    return html.Div(" ".join(parts), className="small text-muted")
