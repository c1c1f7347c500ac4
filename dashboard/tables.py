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


def grid(grid_id: str, columns: list[dict[str, Any]], *, file_name: str, height: int = 420) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        defaultColDef=DEFAULT_COL,
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "animateRows": False,
            "overlayNoRowsTemplate": "Nothing to show",
        },
        columnSize="responsiveSizeToFit",
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


RUN_COLUMNS: list[dict[str, Any]] = [
    {"field": "run_id", "headerName": "Run", "width": 80, "filter": "agNumberColumnFilter"},
    {"field": "status", "width": 110},
    {"field": "kind", "width": 100},
    {"field": "trigger", "width": 100},
    {"field": "requested_by", "headerName": "By", "width": 110},
    {"field": "source", "width": 90},
    {"field": "snapshot_date", "headerName": "Snapshot", "width": 120},
    {"field": "started_at", "headerName": "Started (UTC)", "width": 150},
    {"field": "duration_s", "headerName": "Seconds", "width": 95, "filter": "agNumberColumnFilter"},
    {"field": "stages", "minWidth": 200},
    {"field": "rows", "headerName": "Row counts", "minWidth": 200},
    {"field": "warnings", "minWidth": 160},
    {"field": "error", "minWidth": 200},
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
