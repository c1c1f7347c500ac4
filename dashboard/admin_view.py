"""Pieces of the Admin page: the deliveries grid's columns, the request banner's words, the source-health lines.

Pure: rows in, text and components out (the page module keeps the layout and the callbacks).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard import queries, run_view, tables
from dashboard.components import age_text

DELIVERY_COLUMNS = [  # status first: a phone shows the first two or three columns
    {
        "field": "status",
        "headerName": "Status",
        "minWidth": 115,
        "cellClassRules": {"text-danger fw-semibold": "params.value == 'failed'"},
    },
    {"field": "channel", "headerName": "Channel", "minWidth": 130},
    {"field": "attempts", "headerName": "Attempts", "minWidth": 135, **tables.NUMBER},
    {"field": "delivery_key", "headerName": "Alert key", "minWidth": 270, "tooltipField": "delivery_key"},
    {"field": "sent_at", "headerName": "Sent (UTC)", "minWidth": 140},
    {"field": "next_attempt_at", "headerName": "Next try (UTC)", "minWidth": 140},
    {"field": "last_error", "headerName": "Last error", "minWidth": 200, "tooltipField": "last_error"},
    {"field": "subject", "headerName": "Message", "minWidth": 220, "tooltipField": "subject"},
]


def request_banner(
    request_id: int, request: dict[str, object] | None, run: dict[str, object] | None
) -> tuple[str, str, bool]:
    """(text, colour, stop polling) for a request and the run it became."""
    if request is None:
        return f"Request #{request_id} is no longer recorded.", "secondary", True
    what = f"{request['kind'].capitalize()} request #{request_id}"  # type: ignore[attr-defined]
    if run is None:
        if request["status"] == "pending":
            return f"{what} is waiting for the worker to start it.", "info", False
        if request["status"] == "failed":
            return f"{what} failed before its run started (see the worker log).", "danger", True
        return f"{what} has been picked up by the worker: its run is starting.", "info", False
    sentence = run_view.outcome_sentence(run)
    if run["status"] == "running":
        return sentence, "primary", False
    return sentence, "danger" if run["status"] == "failed" else "success", True


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
