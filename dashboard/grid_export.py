"""CSV of a server-side grid, written on the server (the browser holds only the blocks it has loaded).

Columns and header names come from the grid's column definitions, values are the plain cell values (numbers stay
numbers, links are their text), and a text cell that a spreadsheet would run as a formula (starting with
= + - @, tab or CR) gets a leading single quote: the same rule as `csvSafeCell` in
assets/dashAgGridFunctions.js for the client-side grids. A UTF-8 byte-order mark comes first, as AG Grid's own
export writes it, so spreadsheets read the accents.

    send = csv_download(tables.LEADERBOARD_COLUMNS, rows, "hitscope-artists.csv")   # for a dcc.Download
"""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """The cell as exported: None empty, a list (a sparkline's values) as "1,2,3" as AG Grid writes it,
    formula-like text quoted, anything else unchanged."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join("" if item is None else str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """The CSV text: one header row (headerName, else field), then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    fields = [column["field"] for column in columns]
    writer.writerow([column.get("headerName", column["field"]) for column in columns])
    for row in rows:
        writer.writerow([csv_safe(row.get(name)) for name in fields])
    return "\ufeff" + out.getvalue()


def csv_download(columns: list[dict[str, Any]], rows: list[dict[str, Any]], file_name: str) -> dict[str, Any]:
    """What a `dcc.Download`'s `data` takes to save the CSV as `file_name`."""
    return {"content": csv_text(columns, rows), "filename": file_name, "type": "text/csv", "base64": False}
