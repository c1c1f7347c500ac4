"""Rules that keep the CSV and chart escaping in force for grids and figures added later (no browser needed).

- Every dash-ag-grid table in `dashboard/` is built by `tables.grid`, whose CSV export runs each cell through
  `csvSafeCell`, or by `server_grid.server_grid`, whose export is written on the server through
  `grid_export.csv_safe` (tests/test_browser_exports.py downloads real exports of both kinds in Chromium).
- Every figure builder draws a hostile name as escaped text: no raw `<a href` reaches Plotly.
"""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

import pandas as pd
import plotly

from dashboard import figures, grid_export, model_figures, server_grid, tables

ROOT = Path(__file__).resolve().parent.parent
NAME = '<a href="https://evil.example/">x</a> & <b>co</b>'


def test_every_grid_is_built_by_tables_grid_with_a_safe_csv_export() -> None:
    built_elsewhere = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        if path.name in ("tables.py", "server_grid.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "AgGrid":
                built_elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert built_elsewhere == [], "build grids with dashboard.tables.grid or server_grid (their exports are safe)"
    assert server_grid.csv_download is grid_export.csv_download  # the server-side export quotes formulas
    assert grid_export.csv_safe("=1+1") == "'=1+1"
    assert grid_export.csv_safe([3, 2.5, None]) == "3,2.5,"  # a sparkline's values, as AG Grid exports them
    params = tables.grid("g", [], file_name="x.csv").csvExportParams
    assert params["processCellCallback"] == {"function": "csvSafeCell(params)"}
    assert "dagfuncs.csvSafeCell" in (ROOT / "dashboard" / "assets" / "dashAgGridFunctions.js").read_text()


def test_every_figure_draws_names_as_text() -> None:
    built = {
        "artist_bars": figures.artist_bars(
            pd.DataFrame({"name": [NAME], "genre": [NAME], "artist_id": ["a1"], "popularity": [50.0]}),
            value="popularity", label="Popularity",
        ),
        "seasonality_heatmap": figures.seasonality_heatmap(
            pd.DataFrame({"genre": [NAME], "release_month": [3], "hit_rate": [0.2], "n_tracks": [10],
                          "n_hits": [2], "mean_popularity": [40.0]})
        ),
        "history_lines": figures.history_lines(
            pd.DataFrame({"metric": [NAME], "source": [NAME], "observed_on": [date(2025, 6, 30)], "value": [1.0]}),
            title=NAME,
        ),
        "importance_bars": model_figures.importance_bars(
            pd.DataFrame({"feature": [NAME], "gain": [1.0], "mean_abs_contribution": [0.1]})
        ),
        "contributions_waterfall": model_figures.contributions_waterfall({"bias": -1.0, NAME: 0.5}, 0.4),
    }  # fmt: skip
    for name, figure in built.items():
        drawn = json.dumps(figure.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
        assert "<a href" not in drawn and "<b>co" not in drawn, name
        assert "&lt;a href" in drawn, f"{name} did not draw the name at all"
