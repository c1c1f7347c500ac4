"""Build the Dash app: multi-page (`dashboard/pages`), local Bootstrap, a navbar from the page registry.

    python -m dashboard           # development server on http://127.0.0.1:8050
    gunicorn dashboard.wsgi:server   # production (see Procfile)

Create the app once per process: Dash imports the page modules (and registers their callbacks) here.
"""

from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html

from core.artwork import artwork_hosts
from core.settings import get_settings
from dashboard import first_page, ids, search_box  # noqa: F401  (search_box registers the navbar search callback)
from dashboard.asset_cache import install_asset_caching
from dashboard.auth import check_users, current_user
from dashboard.components import navbar
from dashboard.health import register_health
from dashboard.login import install_login
from dashboard.request_checks import install_request_checks
from dashboard.security import install_security_headers

HERE = Path(__file__).resolve().parent
# Sends the page's layout and dependencies requests while the browser still evaluates the bundles: the first
# script of the page, right after Dash's config (which it reads) and before React and every bundle, so the server
# builds the page while the browser evaluates them all (not among the other assets, which run after the bundles).
EARLY_REQUESTS = "earlyRequests.js"


def early_requests_script() -> str:
    """Its URL, versioned by modification time as Dash versions assets (dashboard/asset_cache.py caches it)."""
    return f"/assets/{EARLY_REQUESTS}?m={(HERE / 'assets' / EARLY_REQUESTS).stat().st_mtime}"


def with_early_requests(index_string: str) -> str:
    """Dash's page template with the early-requests script between the config and the scripts."""
    tag = f'<script src="{early_requests_script()}"></script>'
    return index_string.replace("{%config%}", "{%config%}\n            " + tag, 1)


def shell() -> html.Div:
    """The frame around every page; a function so each page load gets a navbar for the signed-in user."""
    user = current_user()
    return html.Div(
        [
            navbar(user.name if user else None, is_admin=bool(user and user.is_admin)),
            dbc.Container(first_page.page_container(), fluid=True, className="pb-5 app-main"),
        ]
    )


def create_app() -> Dash:
    """The app with sign-in installed. Refuses to start when DASHBOARD_USERS is malformed, or empty outside
    development (nobody could sign in)."""
    settings = get_settings()
    check_users(settings)
    app = Dash(
        "dashboard",
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        assets_ignore=rf"^{EARLY_REQUESTS}$",
        serve_locally=True,  # no CDN: Bootstrap is vendored under assets/, plotly.js ships with dash
        suppress_callback_exceptions=True,  # page layouts are functions of the URL, validated per page
        title="Hitscope",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = with_early_requests(app.index_string)
    app.layout = shell
    app.clientside_callback(
        "function(n, open) { return n ? !open : open; }",
        Output(ids.NAVBAR_COLLAPSE, "is_open"),
        Input(ids.NAVBAR_TOGGLER, "n_clicks"),
        State(ids.NAVBAR_COLLAPSE, "is_open"),
        prevent_initial_call=True,
    )
    first_page.install_first_page_check(app)
    register_health(app.server)
    install_asset_caching(app)
    install_login(app.server, settings)
    install_request_checks(app, settings)
    install_security_headers(
        app, production=settings.APP_ENV == "production", image_hosts=artwork_hosts(settings.ARTWORK_HOSTS)
    )
    return app
