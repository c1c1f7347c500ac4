"""`ShortTable`: a short table drawn in the browser by one React component (dashboard/assets/shortRows.js): the
header with its sort buttons, the rows from cells the server formatted, and the pager, instead of one Dash
component per header cell, button, row, cell, link and sparkline. dash-renderer's cost grows with the components
it tracks: Morning's three tables were ~420 of its ~615, and their headers and pagers ~50 of the 200 left.

A cell is a string, `link(text, href)` (an in-app link, followed without a page load as `dcc.Link` does) or
`spark(points, ...)` (a sparkline: an inline `<svg>` polyline, not an SVG image, whose decoding into an image
document per cell cost a warm Morning load ~6% of the browser's CPU). The browser draws anything else as text
(React escapes it), only follows links that start with one "/", and only draws points made of digits, commas,
dots and spaces. A header is `header_cell(label, field, sort=...)`: `sort` "ascending", "descending" or "none" draws
a sort button, None a plain header. A click sets `clicked` to `{"sort": field, "n": k}` or `{"page": "previous" |
"next", "n": k}` (`n` counts the clicks, so the same click twice fires twice); the server redraws the table.

    ShortTable(id=..., head=[header_cell("Artist", "name", sort="none")], rows=[[link("Bo", "/artist/b")]],
               classes=[""], pager=pager("1 to 20 of 31", previous=False, next=True), empty="Nothing to show.")
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component


def link(text: str, href: str) -> dict[str, str]:
    return {"text": text, "href": href}


def spark(points: str, *, up: bool, alt: str, width: int, height: int) -> dict[str, Any]:
    """A sparkline: SVG polyline `points` in a `width` x `height` box, green when `up`, else red."""
    return {"points": points, "up": up, "alt": alt, "width": width, "height": height}


def header_cell(
    label: str, field: str, *, sort: str | None, class_name: str = "", min_width: int | None = None
) -> dict[str, Any]:
    """A header cell: its label, the field a click sorts by, its `aria-sort` (None: not sortable)."""
    return {"label": label, "field": field, "sort": sort, "className": class_name, "minWidth": min_width}


def pager(text: str, *, previous: bool, next: bool) -> dict[str, Any]:  # noqa: A002
    """The pager's words ("21 to 31 of 31") and which of Previous / Next can be clicked."""
    return {"text": text, "previous": previous, "next": next}


class ShortTable(Component):
    """The table: `head` (header cells), `rows` (cell lists), `classes` (each column's `<td>` class), `pager`
    (None: one page), `empty` (the words shown when there is no row), `clicked` (set by the browser)."""

    _namespace = "hitscope"  # window.hitscope, defined by dashboard/assets/shortRows.js
    _type = "ShortTable"
    _prop_names = ["id", "head", "rows", "classes", "pager", "empty", "clicked"]
    _valid_wildcard_attributes: list[str] = []
    available_properties = _prop_names
    available_wildcard_properties: list[str] = []
    _base_nodes: list[str] = []
    _children_props: list[str] = []

    def __init__(
        self,
        *,
        id: dict[str, Any],  # noqa: A002
        head: list[dict[str, Any]],
        rows: list[list[Any]],
        classes: list[str],
        pager: dict[str, Any] | None,
        empty: str,
    ) -> None:
        # Set after an empty `Component.__init__`: given as keywords, each one made it `__import__("hitscope")`
        # (for an error message's version), a failed module search of sys.path per prop per table per layout.
        super().__init__()
        self.id, self.head, self.rows, self.classes, self.pager, self.empty = id, head, rows, classes, pager, empty
