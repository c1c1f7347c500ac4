"""Shown for any path no page claims."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", title="Hitscope · Not found", nav=False)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H2("Page not found", className="h4"),
            html.P("No page lives at this address."),
            dcc.Link("Back to the Morning page", href="/"),
        ]
    )
