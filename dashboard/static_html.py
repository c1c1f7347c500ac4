"""`StaticHtml`: a subtree of plain `dash.html` elements drawn in the browser by one React component
(dashboard/assets/staticHtml.js) instead of one Dash component per element: dash-renderer's work on a page load
grows with the components it tracks, and a part no callback targets or reads (Morning's headline numbers: 28
components) needs none of it.

`fold(node)` turns a tree of `dash.html` components without ids into one `StaticHtml`; anything else (an id, a
Bootstrap or core component inside) is returned as it is. The browser draws only the tags and attributes listed
in staticHtml.js (text is escaped by React; no markup, links, scripts or event handlers).

    html.Div(fold(html.Div([html.Div("Tracks scored", className="small"), html.Div("1,234")])), id=...)
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component

TAGS = {"Div", "Span", "Strong", "Em", "Small", "P", "H2", "H3", "H4", "H5", "H6", "Ul", "Li", "Code", "Pre"}
PROPS = {"className", "style", "title", "role"}


class StaticHtml(Component):
    """`tree`: {"tag", "props", "children"} with children strings, numbers or trees (see `fold`)."""

    _namespace = "hitscope"  # window.hitscope, defined by dashboard/assets/staticHtml.js
    _type = "StaticHtml"
    _prop_names = ["tree"]
    _valid_wildcard_attributes: list[str] = []
    available_properties = _prop_names
    available_wildcard_properties: list[str] = []
    _base_nodes: list[str] = []
    _children_props: list[str] = []

    def __init__(self, tree: dict[str, Any]) -> None:
        super().__init__()  # no keyword props: Dash would __import__("hitscope") for each (dashboard/short_rows.py)
        self.tree = tree


def _tree(node: object) -> object | None:
    """The node as a tree, or None when it cannot be drawn statically."""
    if node is None or isinstance(node, str | int | float):
        return node
    if isinstance(node, list | tuple):
        items = [_tree(item) for item in node]
        return None if any(item is None and part is not None for item, part in zip(items, node, strict=True)) else items
    if not isinstance(node, Component) or node._namespace != "dash_html_components" or node._type not in TAGS:
        return None
    props = node.to_plotly_json()["props"]
    if set(props) - PROPS - {"children"}:
        return None  # an id, an event or an attribute the browser side would not draw
    children = _tree(props.get("children"))
    if children is None and props.get("children") is not None:
        return None
    return {"tag": node._type.lower(), "props": {k: v for k, v in props.items() if k in PROPS}, "children": children}


def fold(node: Any) -> Any:
    """One `StaticHtml` for a plain-html tree without ids; the node itself otherwise."""
    tree = _tree(node)
    if not isinstance(tree, dict):
        return node
    return StaticHtml(tree)
