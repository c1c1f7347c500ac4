"""Short lists drawn on the server as plain HTML tables: no dash-ag-grid on the page, so a page made only of
these (Morning, when the watchlist is empty) never loads the grid's 870 KB chunk nor runs its layout passes.

The columns are the grids' own column definitions (dashboard/tables.py: field, header, number format, link,
sparkline, default sort); the cells are formatted with dashboard/formats.py, the same format the grids' renderers
use. A table is sortable (click a header; again to reverse), paged (`page_size` rows, Previous / Next), and
exported to CSV on the server in the order shown (dashboard/grid_export.py). The table (header, rows, pager) is one
component (dashboard/short_rows.py), not a Dash component per cell: dash-renderer's work grows with the components.

    register("morning-risers", tables.RISER_COLUMNS, file_name="hitscope-risers.csv", page_size=20)   # import time
    short_table.table("morning-risers", rows, element_id=ids.MORNING_RISERS)   # in a layout: the first view
    Output(ids.short_table("rows", "morning-risers"), "data")   # a callback that changes the rows redraws it
    tables.export_header(title, ids.short_table("export", "morning-risers"))   # its Export CSV button

Rows live in a `dcc.Store` next to the table; one callback (MATCH on the table name) redraws the table when
the rows change or the table reports a click (a header: sort by it; Previous / Next: turn the page). Rows sent
back by a browser are only drawn as text (React escapes it), whatever their shape. Tested in
tests/test_short_table.py and tests/test_browser_scout.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import dash
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html

from dashboard import formats, grid_export, ids
from dashboard.short_rows import ShortTable, header_cell, link, pager, spark

NUMBER_FORMATS = {
    "pct": formats.pct,
    "count": formats.count,
    "signed": formats.signed,
    "signedpct": lambda v: formats.signed(v, 1, "%"),
    "times": lambda v: "" if formats.missing(v) else formats.times(float(v)),
}


@dataclass(frozen=True)
class Spec:
    columns: list[dict[str, Any]]
    file_name: str
    page_size: int


SPECS: dict[str, Spec] = {}


def register(name: str, columns: list[dict[str, Any]], *, file_name: str, page_size: int = 20) -> None:
    """Declare a table (at import time, before the app serves): its columns, CSV file name and page size."""
    SPECS[name] = Spec(columns, file_name, page_size)


def default_view(name: str) -> dict[str, Any]:
    """The grid's initial sort (a column with `sort`), page 0."""
    for column in SPECS[name].columns:
        if column.get("sort") in ("asc", "desc"):
            return {"field": column["field"], "desc": column["sort"] == "desc", "page": 0}
    return {"field": None, "desc": False, "page": 0}


def table(name: str, rows: list[dict[str, Any]], *, element_id: str) -> html.Div:
    """The table with its first view, its rows store, its view store and its download; `element_id` wraps it."""
    view = default_view(name)
    return html.Div(
        [
            html.Div(body(name, rows, view), id=ids.short_table("body", name)),
            dcc.Store(id=ids.short_table("rows", name), data=rows),  # a callback that changes them redraws it
            dcc.Store(id=ids.short_table("view", name), data=view),
            dcc.Download(id=ids.short_table("download", name)),
        ],
        id=element_id,
    )


def _is_number(column: dict[str, Any]) -> bool:
    return column.get("cellRenderer") == "Num" or column.get("type") == "rightAligned"


def sorted_rows(name: str, rows: list[dict[str, Any]], view: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows in the view's order; missing values last whichever the direction (as the grid sorts them)."""
    rows = [row for row in rows if isinstance(row, dict)]  # rows come back from the browser: trust no shape
    field = view.get("field")
    if not field or field not in {c["field"] for c in SPECS[name].columns}:
        return list(rows)
    present = [r for r in rows if not formats.missing(r.get(field)) and r.get(field) != ""]
    absent = [r for r in rows if formats.missing(r.get(field)) or r.get(field) == ""]

    def key(row: dict[str, Any]) -> Any:
        value = row.get(field)
        return value.casefold() if isinstance(value, str) else value

    try:
        ordered = sorted(present, key=key, reverse=bool(view.get("desc")))
    except TypeError:  # mixed types in one column: compare as text
        ordered = sorted(present, key=lambda r: str(r.get(field)), reverse=bool(view.get("desc")))
    return ordered + absent


def sparkline(values: Any) -> object:
    """The last days' values as a small SVG line (green when up, red when down): assets' `Spark`, in Python."""
    if not isinstance(values, list) or len(values) < 2 or not all(isinstance(v, int | float) for v in values):
        return ""
    w, h = 84, 22
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    last = len(values) - 1
    points = " ".join(
        f"{i / last * (w - 2) + 1:.1f},{h - 2 - (v - lo) / span * (h - 4):.1f}" for i, v in enumerate(values)
    )
    alt = f"last {len(values)} days: {lo:g} to {hi:g}"
    return spark(points, up=values[-1] >= values[0], alt=alt, width=w, height=h)


def cell(column: dict[str, Any], row: dict[str, Any]) -> object:
    """One cell as the grid's renderer shows it: a link, a formatted number, a sparkline or the text (as
    dashboard/short_rows.py's cells: the browser draws them)."""
    value = row.get(column["field"])
    renderer = column.get("cellRenderer")
    params = column.get("cellRendererParams") or {}
    if renderer == "Spark":
        return sparkline(value)
    if renderer == "Num":
        try:
            return NUMBER_FORMATS.get(params.get("format"), formats.count)(value)
        except (TypeError, ValueError):  # not a number (rows come back from the browser): shown as text
            return str(value)
    text = "" if formats.missing(value) else str(value)
    if renderer == "EntityLink" and row.get(params.get("idField")):
        kind = row.get(params["kindField"]) if params.get("kindField") else params.get("kind")
        href = f"/{kind}/" + quote(str(row[params["idField"]]), safe=":")
        return link(text, href)
    return text


def _cell_class(column: dict[str, Any]) -> str:
    """Numbers right-aligned, numbers and dates on one line (a date never breaks at its dashes)."""
    if _is_number(column):
        return "text-end text-nowrap"
    return "text-nowrap" if column.get("cellDataType") == "text" else ""


def _header(spec: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    label = spec.get("headerName") or spec["field"].replace("_", " ").capitalize()
    # Long wrapped text keeps the grid's minimum width: on a phone the table scrolls sideways instead of
    # squeezing a sentence into a word a line.
    min_width = spec["minWidth"] if spec.get("wrapText") and spec.get("minWidth") else None
    sort = None
    if spec.get("sortable") is not False:
        active = view.get("field") == spec["field"]
        sort = ("descending" if view.get("desc") else "ascending") if active else "none"
    align = "text-end" if _is_number(spec) else ""
    return header_cell(label, spec["field"], sort=sort, class_name=align, min_width=min_width)


def body(name: str, rows: list[dict[str, Any]], view: dict[str, Any]) -> ShortTable:
    """The table: one page of the rows in the view's order, and the pager when there is more than a page."""
    spec = SPECS[name]
    ordered = sorted_rows(name, rows, view)
    pages = max(1, (len(ordered) + spec.page_size - 1) // spec.page_size)
    page = min(max(int(view.get("page") or 0), 0), pages - 1)
    shown = ordered[page * spec.page_size : (page + 1) * spec.page_size]
    first, last = page * spec.page_size + 1, page * spec.page_size + len(shown)
    return ShortTable(
        id=ids.short_table("table", name),
        head=[_header(c, view) for c in spec.columns] if shown else [],
        rows=[[cell(c, row) for c in spec.columns] for row in shown],
        classes=[_cell_class(c) for c in spec.columns],
        pager=pager(f"{first} to {last} of {len(ordered)}", previous=page > 0, next=page < pages - 1)
        if pages > 1
        else None,
        empty="Nothing to show.",
    )


def next_view(name: str, view: dict[str, Any], clicked: dict[str, Any] | None) -> dict[str, Any]:
    """The view after a click (the table's `clicked`): a header sorts by it (again: reversed; numbers start highest
    first), Previous / Next turn the page; new rows (no click) go back to page 0."""
    view = {**default_view(name), **(view if isinstance(view, dict) else {})}
    clicked = clicked if isinstance(clicked, dict) else {}
    if "sort" in clicked:
        field = clicked["sort"]
        spec = next((c for c in SPECS[name].columns if c["field"] == field), None)
        if spec is None or spec.get("sortable") is False:
            return view
        desc = not view["desc"] if view["field"] == field else _is_number(spec)
        return {"field": field, "desc": desc, "page": 0}
    if clicked.get("page") in ("previous", "next"):
        step = 1 if clicked["page"] == "next" else -1
        return {**view, "page": max(0, int(view.get("page") or 0) + step)}
    return {**view, "page": 0}


@callback(
    Output(ids.short_table("body", MATCH), "children"),
    Output(ids.short_table("view", MATCH), "data"),
    Input(ids.short_table("rows", MATCH), "data"),
    Input(ids.short_table("table", MATCH), "clicked"),
    State(ids.short_table("view", MATCH), "data"),
    prevent_initial_call=True,  # the layout holds the first view
)
def redraw(rows: Any, clicked: Any, view: Any) -> tuple[object, object]:
    """New rows, a header clicked, or a page turned: the table again."""
    name = _table_name(ctx.outputs_list[0]["id"])
    if name is None:
        return dash.no_update, dash.no_update
    by_click = ctx.triggered_id == ids.short_table("table", name)
    new = next_view(name, view, clicked if by_click else None)
    return body(name, rows if isinstance(rows, list) else [], new), new


@callback(
    Output(ids.short_table("download", MATCH), "data"),
    Input(ids.short_table("export", MATCH), "n_clicks"),
    State(ids.short_table("rows", MATCH), "data"),
    State(ids.short_table("view", MATCH), "data"),
    prevent_initial_call=True,
)
def export(n_clicks: Any, rows: Any, view: Any) -> object:
    """Export CSV: every row, in the order shown, formula-like text quoted (dashboard/grid_export.py)."""
    name = _table_name(ctx.outputs_list["id"])
    if not n_clicks or name is None:
        return dash.no_update
    spec = SPECS[name]
    ordered = sorted_rows(name, rows if isinstance(rows, list) else [], view if isinstance(view, dict) else {})
    return grid_export.csv_download(spec.columns, ordered, spec.file_name)


def _table_name(output_id: Any) -> str | None:
    name = output_id.get("table") if isinstance(output_id, dict) else None
    return name if name in SPECS else None
