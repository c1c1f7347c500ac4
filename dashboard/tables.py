"""dash-ag-grid tables: sortable, filterable, and exported to CSV exactly as shown (filters and sort applied).

`grid(...)` builds a client-side one (every row sent at once: the short, fixed-size lists); `export_button(...)`
pairs with a page callback that sets `exportDataAsCsv`. Lists that grow with the catalogue use
dashboard/server_grid.py instead (rows from SQL a block at a time).
Frame-to-rows helpers here are pure, like `figures`.
"""

from __future__ import annotations

import json
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from dashboard.run_view import LABELS as STAGE_LABELS

# Headers wrap instead of being cut off (tests/test_browser_scout.py compares scrollWidth with clientWidth).
DEFAULT_COL = {
    "sortable": True, "filter": True, "resizable": True, "floatingFilter": False, "minWidth": 90,
    "wrapHeaderText": True, "autoHeaderHeight": True,
}  # fmt: skip


def csv_export_params(file_name: str) -> dict[str, Any]:
    """What every grid's CSV export uses: text cells that a spreadsheet would run as a formula (starting with
    = + - @, tab or CR) get a leading quote (`csvSafeCell` in assets/dashAgGridFunctions.js)."""
    return {"fileName": file_name, "processCellCallback": {"function": "csvSafeCell(params)"}}


def grid(
    grid_id: str,
    columns: list[dict[str, Any]],
    *,
    file_name: str,
    page_size: int = 20,
    column_size: str = "responsiveSizeToFit",
) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        defaultColDef=DEFAULT_COL,
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": page_size,
            "paginationPageSizeSelector": False,
            "domLayout": "autoHeight",  # as tall as its rows (at most one page): no blank space
            "animateRows": False,
            "enableCellTextSelection": True,
        },
        columnSize=column_size,
        csvExportParams=csv_export_params(file_name),
        style={"width": "100%"},
    )


def export_button(button_id: str | dict[str, str], *, disabled: bool = False) -> dbc.Button:
    return dbc.Button("Export CSV", id=button_id, color="secondary", outline=True, size="sm", disabled=disabled)


def export_header(title: object, button_id: str | dict[str, str], *, disabled: bool = False) -> html.Div:
    """A card header: the title on the left, the grid's Export CSV button on the right (`disabled` while there
    is nothing to export)."""
    return html.Div(
        [html.Span(title), export_button(button_id, disabled=disabled)],
        className="d-flex justify-content-between align-items-center gap-2",
    )


def export_on_click(grid_id: str, button_id: str) -> None:
    """Register the callback that makes `button_id` export `grid_id` (as shown: filters and sort applied)."""

    @callback(Output(grid_id, "exportDataAsCsv"), Input(button_id, "n_clicks"), prevent_initial_call=True)
    def export(n_clicks: int | None) -> bool:
        return bool(n_clicks)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for `rowData`: dates and timestamps as ISO strings, NaN as empty (JSON-safe)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
    return json.loads(out.to_json(orient="records", date_format="iso"))


NUMBER = {"filter": "agNumberColumnFilter", "type": "rightAligned"}


def header_min_width(header: str) -> int:
    """A column's minimum width in px so that its longest header word is never cut: about 8 px a character plus
    the cell padding and the filter icon (a single word cannot wrap)."""
    return max(90, 8 * max(len(word) for word in header.split() or [""]) + 62)


def number_column(field: str, header: str, fmt: str = "count", **extra: Any) -> dict[str, Any]:
    """A numeric column shown in the one number format (assets/dashAgGridComponentFunctions.js `Num`: pct,
    count, signed, signedpct, times); sorting, filtering and CSV use the plain value."""
    return {"field": field, "headerName": header, **NUMBER, "cellRenderer": "Num",
            "cellRendererParams": {"format": fmt}, **extra}  # fmt: skip


# Dates shown as text ("2026", "Mar 2026", "2026-03-14"): no date type inferred from the first row, which would
# blank the year-only ones. Long text wraps in its cell instead of being cut off.
TEXT_DATE: dict[str, Any] = {"cellDataType": "text"}
WRAP: dict[str, Any] = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.3", "padding": "6px 12px"}}


def spark_column(field: str = "trend", header: str = "Last 28 days") -> dict[str, Any]:
    """A sparkline of daily values (`Spark`); not sortable or filterable, exported as the list of values."""
    return {"field": field, "headerName": header, "cellRenderer": "Spark", "sortable": False, "filter": False,
            "minWidth": 100, "maxWidth": 110}  # fmt: skip


def link_column(field: str, header: str, *, kind: str, id_field: str, **extra: Any) -> dict[str, Any]:
    """A column whose text links to /<kind>/<id> (assets/dashAgGridComponentFunctions.js); CSV gets text."""
    return {
        "field": field,
        "headerName": header,
        "cellRenderer": "EntityLink",
        "cellRendererParams": {"kind": kind, "idField": id_field},
        **extra,
    }


LEADERBOARD_COLUMNS: list[dict[str, Any]] = [
    link_column("name", "Artist", kind="artist", id_field="artist_id", minWidth=150, pinned="left"),
    {"field": "genre", "headerName": "Genre", "minWidth": 100},
    number_column("popularity", "Popularity", minWidth=125),
    number_column("popularity_7d", "Δ 7d (pts)", "signed", minWidth=112),
    number_column("popularity_28d", "Δ 28d (pts)", "signed", minWidth=118),
    number_column("followers", "Followers", minWidth=122),
    number_column("followers_7d_pct", "Followers 7d", "signedpct", minWidth=122),
    number_column("followers_28d_pct", "Followers 28d", "signedpct", minWidth=122),
    number_column("listeners", "Listeners", minWidth=122),
    number_column("listeners_28d_pct", "Listeners 28d", "signedpct", minWidth=122),
    number_column("n_tracks", "Tracks", minWidth=100),
]


RUN_COLUMNS: list[dict[str, Any]] = [
    {"field": "run_id", "headerName": "Run", **NUMBER},
    {
        "field": "status",
        "cellClassRules": {
            "text-danger fw-semibold": "params.value == 'failed'",
            "text-primary": "params.value == 'running'",
        },
    },
    {"field": "kind"},
    {"field": "trigger"},
    {"field": "requested_by", "headerName": "By"},
    {"field": "source"},
    {"field": "snapshot_date", "headerName": "Snapshot"},
    {"field": "started_at", "headerName": "Started (UTC)"},
    {"field": "duration_s", "headerName": "Seconds", **NUMBER},
    {"field": "stages", "maxWidth": 320, "tooltipField": "stages"},
    {"field": "rows", "headerName": "Row counts", "maxWidth": 360, "tooltipField": "rows"},
    {"field": "warnings", "maxWidth": 320, "tooltipField": "warnings"},
    {"field": "error", "maxWidth": 360, "tooltipField": "error"},
]


def run_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The run log as readable rows: stages in words with their seconds ('features 1.2 s', as Admin's stage list
    names them), row counts as 'table=n', warnings joined."""
    if frame.empty:
        return []
    shown = frame.assign(
        started_at=pd.to_datetime(frame["started_at"], utc=True),
        snapshot_date=frame["snapshot_date"].astype(str).replace({"None": ""}),
        duration_s=frame["duration_s"].astype(float),
        stages=[
            " · ".join(f"{STAGE_LABELS.get(s['stage'], s['stage'])} {s['seconds']:.1f} s" for s in stages or [])
            for stages in frame["stages"]
        ],
        rows=[", ".join(f"{k}={v:,}" for k, v in (counts or {}).items()) for counts in frame["row_counts"]],
        warnings=["; ".join(w or []) for w in frame["warnings"]],
    ).drop(columns=["row_counts"])
    return records(shown)


METRIC_COLUMNS: list[dict[str, Any]] = [
    {"field": "model", "headerName": "Model · protocol", "minWidth": 240},
    {"field": "pr_auc", "headerName": "PR-AUC", **NUMBER, "minWidth": 120},
    {"field": "roc_auc", "headerName": "ROC-AUC", **NUMBER, "minWidth": 128},
    {"field": "precision_at_k", "headerName": "Precision@k", **NUMBER, "minWidth": 145},
    {"field": "k", **NUMBER},
    {"field": "brier", "headerName": "Brier", **NUMBER, "minWidth": 100},
    {"field": "note", "minWidth": 160},
]


def metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The active model's honest (forward) metrics, each baseline, and the leaky random split, as rows."""

    def row(name: str, values: dict[str, Any] | None, note: str = "") -> dict[str, Any]:
        values = values or {}
        out: dict[str, Any] = {"model": name, "note": note}
        for key in ("pr_auc", "roc_auc", "precision_at_k", "brier"):
            value = values.get(key)
            out[key] = round(float(value), 3) if isinstance(value, int | float) else None
        out["k"] = values.get("k")
        return out

    rows = []
    if metrics.get("forward"):
        rows.append(row("LightGBM · forward in time (honest)", metrics["forward"], "what to expect"))
    for name, values in (metrics.get("baselines") or {}).items():
        if isinstance(values, dict) and "skipped" in values:
            rows.append(row(f"Baseline: {name}", None, f"skipped: {values['skipped']}"))
        else:
            rows.append(row(f"Baseline: {name}", values, "forward in time"))
    if metrics.get("random_split"):
        rows.append(row("LightGBM · random split (leaky)", metrics["random_split"], "optimistic: leaks the future"))
    return rows


VERSION_COLUMNS: list[dict[str, Any]] = [
    {"field": "model_version_id", "headerName": "Version", **NUMBER, "minWidth": 122},
    {"field": "created_at", "headerName": "Trained (UTC)", "minWidth": 150},
    {"field": "is_active", "headerName": "Active", "minWidth": 100},
    {"field": "promoted", "headerName": "Promoted", "minWidth": 125},
    {"field": "pr_auc", "headerName": "PR-AUC (fwd)", **NUMBER, "minWidth": 120},
    {"field": "roc_auc", "headerName": "ROC-AUC (fwd)", **NUMBER, "minWidth": 128},
    {"field": "precision_at_k", "headerName": "Precision@k", **NUMBER, "minWidth": 145},
    {"field": "random_split_roc_auc", "headerName": "ROC-AUC (random)", **NUMBER, "minWidth": 128},
    {"field": "train_from", "headerName": "Train from", "minWidth": 110},
    {"field": "test_to", "headerName": "Test to", "minWidth": 100},
    {
        "field": "promotion_note",
        "headerName": "Promotion note",
        "minWidth": 200,
        "tooltipField": "promotion_note",
    },
]


def version_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    shown = frame.copy()
    shown["created_at"] = pd.to_datetime(shown["created_at"], utc=True)
    for column in ("pr_auc", "roc_auc", "precision_at_k", "random_split_roc_auc"):
        shown[column] = shown[column].astype(float).round(3)
    return records(shown)


# Phone first: the name, the hit probability and the change come first, the rest scrolls.
EMERGING_COLUMNS: list[dict[str, Any]] = [
    link_column("name", "Track", kind="track", id_field="track_id", minWidth=140, tooltipField="name"),
    number_column("probability", "Hit prob.", "pct", sort="desc", minWidth=112),
    number_column("momentum_7d", "Δ 7d (pts)", "signed", minWidth=112),
    {"field": "band", "headerName": "Band", "minWidth": 95},
    {"field": "came_true", "headerName": "Scored like this, came true", "minWidth": 130,
     "tooltipField": "came_true"},
    spark_column(),
    link_column("artist_name", "Artist", kind="artist", id_field="artist_id", minWidth=120,
                tooltipField="artist_name"),
    {"field": "genre", "headerName": "Genre", "minWidth": 90},
    TEXT_DATE | {"field": "released", "headerName": "Released", "minWidth": 115},
    number_column("popularity", "Popularity", minWidth=125),
]  # fmt: skip

RISER_COLUMNS: list[dict[str, Any]] = [
    link_column("name", "Artist", kind="artist", id_field="artist_id", minWidth=120, tooltipField="name"),
    number_column("change_points", "Δ pts", "signed", minWidth=95),
    number_column("change_pct", "Δ %", "signedpct", minWidth=95),
    spark_column(),
    number_column("popularity", "Popularity", minWidth=125),
    {"field": "genre", "headerName": "Genre", "minWidth": 100},
]

ALERT_COLUMNS: list[dict[str, Any]] = [
    link_column("name", "Artist", kind="artist", id_field="artist_id", minWidth=120, tooltipField="name"),
    {"field": "spike", "headerName": "Spike", "minWidth": 240, "flex": 3, **WRAP},
    {"field": "metrics", "headerName": "Metrics", "minWidth": 150, "flex": 2, **WRAP},
    TEXT_DATE | {"field": "since", "headerName": "Since", "minWidth": 110},
    {"field": "genre", "headerName": "Genre", "minWidth": 100},
    number_column("zscore", "Strength (z)", "signed", minWidth=125),
]
