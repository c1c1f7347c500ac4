"""Model: what the active model relies on, how good it honestly is, how well calibrated, and its versions.

The verdict comes first, in words: the model's PR-AUC minus the best baseline's on the rolling origins, with its
95% interval (clustered by track), the number of hit tracks, and what ranks the list (the model, or the baseline
that won). Forward-in-time metrics sit next to the baselines and the leaky random split on the same data, so the
gap between an honest number and a flattering one is visible. Beside the verdict, the first-sight model's (the
one that scores on-demand lookups, `dashboard.first_sight_words`).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from core.model_report import parse_report
from dashboard import ids, ops_queries, queries, run_view, tables
from dashboard.components import no_model_alert, no_publication_alert, page_header, unavailable_alert
from dashboard.db import reading, when_unavailable
from dashboard.figures import empty_figure, unavailable_figure
from dashboard.first_sight_words import first_sight_sentences
from dashboard.model_figures import (
    calibration_bins,
    calibration_curve,
    importance_bars,
    series_rows,
    signal_words,
    verdict_sentences,
)

dash.register_page(__name__, path="/model", name="Model", title="Hitscope · Model", order=3, nav=True)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.MODEL_LOAD, data=True),
            page_header("Model", "What the hit model relies on, and how far its scores can be trusted."),
            html.Div(id=ids.MODEL_ALERT),
            html.Div(id=ids.MODEL_SUMMARY, className="mb-2"),
            dbc.Card(
                [
                    dbc.CardHeader("Does the model beat sorting the chart? (paired, 95% interval, by track)"),
                    dbc.CardBody(html.Div(id=ids.MODEL_VERDICT)),
                ],
                className="mb-3",
            ),
            grid_card(
                "Honest metrics: forward in time, against baselines and the leaky random split",
                ids.MODEL_METRICS,
                tables.METRIC_COLUMNS,
                export_id=ids.MODEL_METRICS_EXPORT,
                file_name="hitscope-metrics.csv",
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.MODEL_IMPORTANCE, config={"displaylogo": False}), lg=7),
                    dbc.Col(dcc.Graph(id=ids.MODEL_CALIBRATION, config={"displaylogo": False}), lg=5),
                ],
                className="g-3 mb-3",
            ),
            grid_card(
                "Model versions (every version is kept; one is active)",
                ids.MODEL_VERSIONS,
                tables.VERSION_COLUMNS,
                export_id=ids.MODEL_VERSIONS_EXPORT,
                file_name="hitscope-models.csv",
            ),
        ]
    )


def grid_card(
    title: str, grid_id: str, columns: list, *, export_id: str, file_name: str, className: str = ""
) -> dbc.Card:
    """A card holding one grid, its Export CSV button in the header."""
    return dbc.Card(
        [
            dbc.CardHeader(tables.export_header(title, export_id)),
            dbc.CardBody(tables.grid(grid_id, columns, file_name=file_name)),
        ],
        className=className,
    )


@callback(
    Output(ids.MODEL_ALERT, "children"),
    Output(ids.MODEL_SUMMARY, "children"),
    Output(ids.MODEL_VERDICT, "children"),
    Output(ids.MODEL_METRICS, "rowData"),
    Output(ids.MODEL_IMPORTANCE, "figure"),
    Output(ids.MODEL_CALIBRATION, "figure"),
    Output(ids.MODEL_VERSIONS, "rowData"),
    Input(ids.MODEL_LOAD, "data"),
)
@when_unavailable(lambda: (unavailable_alert(), None, None, [], unavailable_figure(), unavailable_figure(), []))
def render_model(_load: object) -> tuple[object, ...]:
    empty = empty_figure("No model trained yet.")
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        model = queries.active_model(conn=conn)
        versions = queries.model_versions(conn=conn)
        training = ops_queries.running_run(conn=conn, kind="train") if model is None else None
        importance = (
            queries.feature_importance(conn=conn, publication_id=publication.publication_id) if publication else None
        )
    version_rows = tables.version_rows(versions) if not versions.empty else []
    if model is None:
        notice = run_view.training_alert(training) if training else no_model_alert()
        return notice, None, None, [], empty, empty, version_rows
    alert = None if publication else no_publication_alert()
    if importance is None or importance.empty:
        importance_figure = empty_figure("The current publication has no feature importance: refresh after training.")
    else:
        importance_figure = importance_bars(importance)
    return (
        alert,
        model_summary(model),
        model_verdict(model),
        tables.metric_rows(model.metrics or {}),
        importance_figure,
        calibration_curve(calibration_bins((model.metrics or {}).get("calibration"))),
        version_rows,
    )


def model_verdict(model: queries.ModelVersion) -> html.Div:
    """The verdict and the champion in words, then each series' verdict with its interval."""
    report = parse_report(model.metrics)
    if report is None:
        return html.Div(
            "This model version was validated before intervals were reported: retrain to see its verdict.",
            className="text-muted",
        )
    metric = "chart position" if (model.label or {}).get("metric") == "chart_position" else "current popularity"
    lines = verdict_sentences(report, metric=metric, folds=(model.metrics or {}).get("folds"))
    children: list[object] = [html.P(line, className="mb-1") for line in lines]
    rows = series_rows(report)
    if len(rows) > 1:
        children.append(
            html.Ul(
                [
                    html.Li(
                        f"{r['series']}: {r['verdict']} against {signal_words(r['against'], metric)},"
                        f" {r['diff']:+.2f} ({r['lo']:+.2f} to {r['hi']:+.2f}), {r['hit_tracks']} hit tracks"
                    )
                    for r in rows
                    if r["diff"] is not None
                ],
                className="small mb-0",
            )
        )
    children.append(
        html.Div(
            [html.H4("First sight (on-demand lookups)", className="h6 mt-3 mb-1"),
             *[html.P(line, className="small mb-1") for line in first_sight_sentences(report)]],
            className="model-first-sight",
        )
    )  # fmt: skip
    return html.Div(children)


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


tables.export_on_click(ids.MODEL_METRICS, ids.MODEL_METRICS_EXPORT)
tables.export_on_click(ids.MODEL_VERSIONS, ids.MODEL_VERSIONS_EXPORT)
