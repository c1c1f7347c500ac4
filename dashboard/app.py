"""Build the Dash app: multi-page (`dashboard/pages`), local Bootstrap, a navbar from the page registry.

    python -m dashboard           # development server on http://127.0.0.1:8050
    gunicorn dashboard.wsgi:server   # production (see Procfile)

Create the app once per process: Dash imports the page modules (and registers their callbacks) here.
"""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html

from dashboard import ids
from dashboard.components import navbar
from dashboard.health import register_health

HERE = Path(__file__).resolve().parent


def shell() -> html.Div:
    """The frame around every page; a function so each page load gets a fresh navbar."""
    return html.Div(
        [
            navbar(),
            dbc.Container(dash.page_container, fluid=True, className="pb-5 app-main"),
        ]
    )


def create_app() -> Dash:
    app = Dash(
        "dashboard",
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,  # no CDN: Bootstrap is vendored under assets/, plotly.js ships with dash
        suppress_callback_exceptions=True,  # page layouts are functions of the URL, validated per page
        title="Hitscope",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    app.clientside_callback(
        "function(n, open) { return n ? !open : open; }",
        Output(ids.NAVBAR + "-collapse", "is_open"),
        Input(ids.NAVBAR + "-toggler", "n_clicks"),
        State(ids.NAVBAR + "-collapse", "is_open"),
        prevent_initial_call=True,
    )
    register_health(app.server)
    return app
