"""The page the browser is on, already inside the first `_dash-layout` answer: a page load costs no router
round trip (Dash's page router would otherwise draw the page in a callback after the layout arrived).

`page_container()` replaces `dash.page_container` in the app's shell. The `_dash-layout` request carries the
page's address in its Referer (the security headers send `Referrer-Policy: same-origin`); the page is routed as
Dash's own router does (the same registry, path variables and query parameters) and its `dcc.Location` is
filled in, so mounting it fires nothing. A check in the browser (`install_first_page_check`, a clientside
callback, no request) compares the address the layout was built for with the real one: when they differ (a
browser that trims the Referer), it sets the Location and Dash's router draws the right page, as before. With
no usable Referer, or when the database does not answer, the container is Dash's own, empty one.

    dbc.Container(first_page.page_container(), ...)   # dashboard/app.py shell()
    first_page.install_first_page_check(app)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dash
from dash import Dash, Input, Output, dcc, html
from dash._pages import PAGE_REGISTRY, _parse_query_string, _path_to_page
from flask import Response, has_request_context, request

from dashboard import ids
from dashboard.db import when_unavailable


def browser_address() -> tuple[str, str, str] | None:
    """(pathname, search, href) of the page that asked for the layout; None outside a `_dash-layout` request or
    when the Referer is missing or from another site."""
    if not has_request_context() or not request.path.endswith("_dash-layout") or not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host or not parts.path:
        return None
    search = f"?{parts.query}" if parts.query else ""
    return parts.path, search, parts._replace(fragment="").geturl()


def route(pathname: str, search: str) -> tuple[Any, Any]:
    """(layout, title) of the page at this address, as Dash's router picks it (404 page when none matches)."""
    page, variables = _path_to_page(dash.get_app().strip_relative_path(pathname))
    if page == {}:
        page = next((p for module, p in PAGE_REGISTRY.items() if module.split(".")[-1] == "not_found_404"), {})
    layout, title = page.get("layout", html.H1("404 - Page not found")), page.get("title", "")
    if callable(layout):
        layout = layout(**{**(variables or {}), **_parse_query_string(search)})
    if callable(title):
        title = title(**(variables or {}))
    return layout, title


def page_container() -> html.Div:
    """Dash's page container, holding the browser's page when the request says which (see the module)."""
    address = browser_address()
    if address is None:
        return dash.page_container
    pathname, search, href = address
    return filled_container(pathname, search, href)


@when_unavailable(lambda: dash.page_container)  # no database: the router callback draws it, as it always did
def filled_container(pathname: str, search: str, href: str) -> html.Div:
    layout, title = route(pathname, search)
    return html.Div(
        [
            dcc.Location(
                id=ids.PAGES_LOCATION, refresh="callback-nav", pathname=pathname, search=search, href=href, hash=""
            ),
            html.Div(layout, id=ids.PAGES_CONTENT, disable_n_clicks=True),
            dcc.Store(id=ids.PAGES_STORE, data={"title": title, "built_for": pathname + search}),
            html.Div(id=ids.PAGES_DUMMY, disable_n_clicks=True),
        ]
    )


# Runs in the browser when the layout arrives: the page was built for another address than the one shown
# (a trimmed Referer): set the Location to the real one, which fires Dash's router.
CHECK = """function(data) {
    var here = window.location.pathname + window.location.search;
    if (!data || data.built_for === undefined || data.built_for === here) {
        return [window.dash_clientside.no_update, window.dash_clientside.no_update];
    }
    return [window.location.pathname, window.location.search];
}"""


def install_first_page_check(app: Dash) -> None:
    """The browser-side check (CHECK), and the layout answer's caching: it depends on the Referer and on who is
    signed in, so no cache (a proxy's or the browser's) may keep it or hand it to another page or user."""

    def never_cache_the_layout(response: Response) -> Response:
        if request.path.endswith("_dash-layout"):
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.update(("Referer", "Cookie"))
        return response

    app.server.after_request(never_cache_the_layout)
    app.clientside_callback(
        CHECK,
        Output(ids.PAGES_LOCATION, "pathname"),
        Output(ids.PAGES_LOCATION, "search"),
        Input(ids.PAGES_STORE, "data"),
        hidden=True,
    )
