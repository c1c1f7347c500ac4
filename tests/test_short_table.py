"""Morning's server-drawn tables (dashboard/short_table.py): the grid's columns and number format, links,
sparklines, sorting (missing values last, a second click reverses), paging, and the CSV in the order shown.

    python -m pytest -n 0 tests/test_short_table.py -q
"""

from __future__ import annotations

import builtins
import json
from typing import Any

import pytest

from dashboard import short_table, tables

NAME = "test-risers"
short_table.register(NAME, tables.RISER_COLUMNS, file_name="risers.csv", page_size=2)


def rows() -> list[dict[str, Any]]:
    return [
        {"artist_id": "a:1", "name": "Ana", "change_points": 3.0, "change_pct": 21.25, "trend": [1, 3, 2],
         "popularity": 1234.0, "genre": "Pop"},
        {"artist_id": "a:2", "name": "bo", "change_points": None, "change_pct": -4.0, "trend": [3, 1],
         "popularity": 7.0, "genre": "R&B"},
        {"artist_id": "a/3", "name": "=HYPERLINK(1)", "change_points": -2.5, "change_pct": 0.0, "trend": None,
         "popularity": 50.0, "genre": ""},
    ]  # fmt: skip


def texts(tree: Any) -> list[str]:
    """Every string in a component tree, in order (what a reader sees, plus attributes)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(json.dumps(tree, default=lambda c: c.to_plotly_json())))
    return found


def drawn(tree: object) -> dict[str, Any]:
    """The props of the drawn table (one `ShortTable` component: dashboard/short_rows.py)."""
    table = json.loads(json.dumps(tree, default=lambda c: c.to_plotly_json()))
    assert (table["namespace"], table["type"]) == ("hitscope", "ShortTable")
    return dict(table["props"])


def body_rows(tree: object) -> list[list[Any]]:
    """The cells of the drawn body rows."""
    return list(drawn(tree)["rows"])


def test_cells_use_the_grids_number_format_links_and_sparklines() -> None:
    cells = body_rows(short_table.body(NAME, rows(), {"field": None, "desc": False, "page": 0}))
    name, points, pct, spark, popularity, genre = cells[0]
    assert name == {"text": "Ana", "href": "/artist/a:1"}
    assert (points, pct, popularity, genre) == ("+3.0", "+21.2%", "1,234", "Pop")  # as the grid's `Num` shows them
    assert spark == {
        "points": "1.0,20.0 42.0,2.0 83.0,11.0",
        "up": True,
        "alt": "last 3 days: 1 to 3",
        "width": 84,
        "height": 22,
    }  # an inline SVG line (dashboard/short_rows.py), not an image
    assert short_table.sparkline([3, 1])["up"] is False
    assert cells[1][1] == ""  # a missing change is blank, not "nan"
    assert short_table.cell(tables.RISER_COLUMNS[0], rows()[2]) == {"text": "=HYPERLINK(1)", "href": "/artist/a%2F3"}


def test_a_header_click_sorts_numbers_highest_first_then_reverses_with_missing_values_last() -> None:
    view = short_table.next_view(NAME, short_table.default_view(NAME), {"sort": "change_points", "n": 1})
    assert view == {"field": "change_points", "desc": True, "page": 0}
    assert [r["name"] for r in short_table.sorted_rows(NAME, rows(), view)] == ["Ana", "=HYPERLINK(1)", "bo"]
    view = short_table.next_view(NAME, view, {"sort": "change_points", "n": 2})
    assert [r["name"] for r in short_table.sorted_rows(NAME, rows(), view)] == ["=HYPERLINK(1)", "Ana", "bo"]
    text_view = short_table.next_view(NAME, view, {"sort": "name", "n": 3})
    assert text_view["desc"] is False  # text starts A to Z, case-insensitive
    assert [r["name"] for r in short_table.sorted_rows(NAME, rows(), text_view)] == ["=HYPERLINK(1)", "Ana", "bo"]
    # The sparkline column cannot be sorted; an unknown column changes nothing.
    for field in ("trend", "no_such_column"):
        assert short_table.next_view(NAME, text_view, {"sort": field, "n": 4}) == text_view


def test_pages_turn_and_new_rows_start_at_the_first_page() -> None:
    view = {"field": "popularity", "desc": True, "page": 0}
    first = short_table.body(NAME, rows(), view)
    assert [r[0]["text"] for r in body_rows(first)] == ["Ana", "=HYPERLINK(1)"]
    assert "1 to 2 of 3" in texts(first)
    view = short_table.next_view(NAME, view, {"page": "next", "n": 1})
    second = short_table.body(NAME, rows(), view)
    assert [r[0]["text"] for r in body_rows(second)] == ["bo"] and "3 to 3 of 3" in texts(second)
    assert short_table.next_view(NAME, view, None)["page"] == 0  # the rows changed (a filter)


def test_the_default_sort_is_the_grids_and_the_header_says_it() -> None:
    assert short_table.default_view(NAME) == {"field": None, "desc": False, "page": 0}
    short_table.register("test-emerging", tables.EMERGING_COLUMNS, file_name="e.csv")
    assert short_table.default_view("test-emerging") == {"field": "probability", "desc": True, "page": 0}
    table = short_table.body("test-emerging", [{"probability": 0.5}], short_table.default_view("test-emerging"))
    head = {cell["label"]: cell["sort"] for cell in drawn(table)["head"]}
    assert head["Hit prob."] == "descending" and head["Band"] == "none"  # the sort shown, a click sorts by any


def test_export_is_every_row_in_the_order_shown_with_formulas_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(short_table, "ctx", type("Ctx", (), {"outputs_list": {"id": {"table": NAME}}})())
    view = {"field": "popularity", "desc": False, "page": 1}
    sent = short_table.export(1, rows(), view)
    lines = sent["content"].lstrip("\ufeff").splitlines()
    assert sent["filename"] == "risers.csv" and lines[0].startswith("Artist,Δ pts,Δ %")
    assert [line.split(",")[0] for line in lines[1:]] == ["bo", "'=HYPERLINK(1)", "Ana"]  # all rows, not the page


def test_rows_sent_back_by_a_browser_in_any_shape_do_not_break_the_table() -> None:
    hostile: list[Any] = [None, 3, "x", {"name": {"nested": 1}, "trend": ["a", "b"], "popularity": "lots"}]
    table = short_table.body(NAME, hostile, {"field": "popularity", "desc": True, "page": 99})
    assert len(body_rows(table)) == 1  # the one dict row, on the last page there is
    assert short_table.sparkline(["a", "b"]) == "" and short_table.sparkline([1]) == ""
    view = {"field": "popularity", "desc": True, "page": 0}
    for click in ({"sort": {"x": 1}}, {"sort": "no_such_column"}, {"page": 7}, {"page": ["next"]}, "x", 3):
        assert short_table.next_view(NAME, view, click)["field"] == "popularity"  # a click in any shape: no error


def test_a_table_is_one_component_whatever_its_rows() -> None:
    """The header, its sort buttons, the rows and the pager are one `ShortTable` (dashboard/short_rows.py):
    no Dash component per header cell or button for dash-renderer to track."""
    table = json.loads(json.dumps(short_table.body(NAME, rows(), short_table.default_view(NAME)),
                                  default=lambda c: c.to_plotly_json()))  # fmt: skip
    nested = [key for key, value in table["props"].items() if "namespace" in json.dumps(value)]
    assert nested == [] and drawn(short_table.body(NAME, [], {}))["empty"] == "Nothing to show."


def test_drawing_a_table_searches_for_no_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dash's `Component.__init__` imports a component's namespace per keyword prop (for an error message); for
    "hitscope", which is no module, that was a failed search of sys.path per prop per table in every layout."""
    asked: list[str] = []
    real = builtins.__import__

    def noting(name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", noting)
    table = short_table.body(NAME, rows(), short_table.default_view(NAME))
    assert "hitscope" not in asked and len(drawn(table)["rows"]) == 2
