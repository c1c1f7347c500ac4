"""dash-ag-grid tables: sortable, filterable, and exported to CSV exactly as shown (filters and sort applied).

`grid(...)` builds one; `export_button(...)` pairs with a page callback that sets `exportDataAsCsv`.
Frame-to-rows helpers here are pure, like `figures`.
"""

from __future__ import annotations

import json
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd

DEFAULT_COL = {"sortable": True, "filter": True, "resizable": True, "floatingFilter": False, "minWidth": 90}


def grid(
    grid_id: str,
    columns: list[dict[str, Any]],
    *,
    file_name: str,
    height: int = 420,
    column_size: str = "responsiveSizeToFit",
) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        defaultColDef=DEFAULT_COL,
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "animateRows": False,
            "enableCellTextSelection": True,
        },
        columnSize=column_size,
        csvExportParams={"fileName": file_name},
        style={"height": height, "width": "100%"},
    )


def export_button(button_id: str) -> dbc.Button:
    return dbc.Button("Export CSV", id=button_id, color="secondary", outline=True, size="sm")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for `rowData`: dates and timestamps as ISO strings, NaN as empty (JSON-safe)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
    return json.loads(out.to_json(orient="records", date_format="iso"))


NUMBER = {"filter": "agNumberColumnFilter", "type": "rightAligned"}

LEADERBOARD_COLUMNS: list[dict[str, Any]] = [
    {"field": "name", "headerName": "Artist", "minWidth": 150, "pinned": "left"},
    {"field": "genre", "minWidth": 100},
    {"field": "popularity", "headerName": "Popularity", **NUMBER},
    {"field": "popularity_7d", "headerName": "Δ 7d (pts)", **NUMBER},
    {"field": "popularity_28d", "headerName": "Δ 28d (pts)", **NUMBER},
    {"field": "followers", "headerName": "Followers", **NUMBER},
    {"field": "followers_7d_pct", "headerName": "Followers 7d %", **NUMBER},
    {"field": "followers_28d_pct", "headerName": "Followers 28d %", **NUMBER},
    {"field": "listeners", "headerName": "Listeners", **NUMBER},
    {"field": "listeners_28d_pct", "headerName": "Listeners 28d %", **NUMBER},
    {"field": "n_tracks", "headerName": "Tracks", **NUMBER},
]


def leaderboard_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The leaderboard with levels as whole numbers and changes to one decimal."""
    shown = frame.copy()
    for column in ("popularity", "followers", "listeners"):
        shown[column] = shown[column].astype(float).round(0)
    for column in (
        "popularity_7d",
        "popularity_28d",
        "followers_7d_pct",
        "followers_28d_pct",
        "listeners_28d_pct",
    ):
        shown[column] = shown[column].astype(float).round(1)
    return records(shown)


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
    """The run log as readable rows: stages as 'name 1.2s', row counts as 'table=n', warnings joined."""
    if frame.empty:
        return []
    shown = frame.assign(
        started_at=pd.to_datetime(frame["started_at"], utc=True),
        snapshot_date=frame["snapshot_date"].astype(str).replace({"None": ""}),
        duration_s=frame["duration_s"].astype(float),
        stages=[
            " · ".join(f"{s['stage']} {s['seconds']:.1f}s" for s in stages or [])
            for stages in frame["stages"]
        ],
        rows=[", ".join(f"{k}={v:,}" for k, v in (counts or {}).items()) for counts in frame["row_counts"]],
        warnings=["; ".join(w or []) for w in frame["warnings"]],
    ).drop(columns=["row_counts"])
    return records(shown)
