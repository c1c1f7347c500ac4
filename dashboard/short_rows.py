"""`ShortRows`: a table body drawn in the browser by one React component (dashboard/assets/shortRows.js) from
cells the server formatted, instead of one Dash component per row, cell, link and sparkline. dash-renderer's
cost grows with the components it tracks: Morning's three tables were ~420 of its ~615, most of a warm load.

A cell is a string, `link(text, href)` (an in-app link, followed without a page load as `dcc.Link` does) or
`spark(points, ...)` (a sparkline: an inline `<svg>` polyline, not an SVG image, whose decoding into an image
document per cell cost a warm Morning load ~6% of the browser's CPU). The browser draws anything else as text
(React escapes it), only follows links that start with one "/", and only draws points made of digits, commas,
dots and spaces.

    html.Table([head, ShortRows(rows=[["Ana", link("Bo", "/artist/b")]], classes=["", "text-end"])])
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component


def link(text: str, href: str) -> dict[str, str]:
    return {"text": text, "href": href}


def spark(points: str, *, up: bool, alt: str, width: int, height: int) -> dict[str, Any]:
    """A sparkline: SVG polyline `points` in a `width` x `height` box, green when `up`, else red."""
    return {"points": points, "up": up, "alt": alt, "width": width, "height": height}


class ShortRows(Component):
    """A `<tbody>`: `rows` (a list of cell lists) and `classes` (the class of each column's `<td>`)."""

    _namespace = "hitscope"  # window.hitscope, defined by dashboard/assets/shortRows.js
    _type = "ShortRows"
    _prop_names = ["id", "rows", "classes"]
    _valid_wildcard_attributes: list[str] = []
    available_properties = ["id", "rows", "classes"]
    available_wildcard_properties: list[str] = []
    _base_nodes: list[str] = []
    _children_props: list[str] = []

    def __init__(self, rows: list[list[Any]], classes: list[str], id: str | None = None) -> None:  # noqa: A002
        super().__init__(rows=rows, classes=classes, **({"id": id} if id else {}))
