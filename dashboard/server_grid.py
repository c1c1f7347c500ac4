"""Grids whose rows the server sends a block at a time (dash-ag-grid's infinite row model), for lists that grow
with the catalogue (Artists). The browser never holds more than the pages it has shown.

- `server_grid(...)` builds the grid: `rowModelType="infinite"`, one block per page of 20.
- `wire(...)` registers its three callbacks: `getRowsRequest` -> `getRowsResponse` (`rows(request, *state)`
  answers from SQL, dashboard/grid_rows.py); the Export CSV button -> a `dcc.Download` of every row matching the
  page's controls and the grid's own sort and filters (`export(request, *state)`, dashboard/grid_export.py);
  and a browser-side refresh (purge the block cache) when one of the page's controls changes.

Both server callbacks go through `/_dash-update-component`, so the sign-in guard, the CSRF check and the request
checks cover them like any other callback; a crafted block request gets 400 (`GridRequestRefused`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, clientside_callback, dcc

from dashboard.grid_export import csv_download
from dashboard.tables import DEFAULT_COL

PURGE = """function() {
    dash_ag_grid.getApiAsync(%r).then(function (api) { api.purgeInfiniteCache(); });
}"""


def server_grid(grid_id: str, columns: list[dict[str, Any]], *, page_size: int = 20) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowModelType="infinite",
        defaultColDef=DEFAULT_COL,
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": page_size,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": page_size,  # one request per page shown
            "maxBlocksInCache": 20,
            "domLayout": "autoHeight",
            "animateRows": False,
            "enableCellTextSelection": True,
        },
        columnSize="responsiveSizeToFit",
        style={"width": "100%"},
    )


def download(download_id: str) -> dcc.Download:
    return dcc.Download(id=download_id)


def wire(
    grid_id: str,
    *,
    button_id: str,
    download_id: str,
    controls: list[str],
    columns: list[dict[str, Any]],
    file_name: str,
    rows: Callable[..., dict[str, Any] | None],
    export: Callable[..., list[dict[str, Any]] | None],
) -> None:
    """Register the grid's callbacks. `controls` are the page's component ids whose `value` scopes the rows
    (passed to `rows` and `export` after the request, in order); either returns None when there is nothing
    to show (no publication, database unavailable)."""
    state = [State(control, "value") for control in controls]

    @callback(Output(grid_id, "getRowsResponse"), Input(grid_id, "getRowsRequest"), *state, prevent_initial_call=True)
    def grid_rows(request: Any, *values: Any) -> object:
        answer = rows(request, *values)
        return dash.no_update if answer is None else answer

    @callback(
        Output(download_id, "data"),
        Input(button_id, "n_clicks"),
        State(grid_id, "getRowsRequest"),
        *state,
        prevent_initial_call=True,
    )
    def grid_export(n_clicks: int | None, request: Any, *values: Any) -> object:
        if not n_clicks:
            return dash.no_update
        found = export(request or {}, *values)
        return dash.no_update if found is None else csv_download(columns, found, file_name)

    clientside_callback(PURGE % grid_id, *(Input(control, "value") for control in controls), prevent_initial_call=True)
