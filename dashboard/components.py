"""Small layout pieces shared by pages: the navbar, page headers, alerts for empty and error states."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import formats, ids

UNAVAILABLE = "Data temporarily unavailable: the database did not answer. Try again in a minute."
NO_PUBLICATION = [
    html.Strong("No data published yet. "),
    "Load some with ",
    html.Code("python -m jobs backfill --days 90"),
    " (or wait for the worker's first scheduled run; ",
    html.Code("make demo"),
    " does both), then reload this page.",
]


def navbar(user_name: str | None = None, *, is_admin: bool = False) -> dbc.Navbar:
    """Links to the pages registered with `nav=True`, in `order`; those with `admin=True` for admins only."""
    pages = sorted(
        (page for page in dash.page_registry.values() if page.get("nav") and (is_admin or not page.get("admin"))),
        key=lambda page: page.get("order") or 0,
    )
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact")) for page in pages]
    right = []
    if user_name:
        right = [
            html.Span(
                f"{user_name} · {'admin' if is_admin else 'viewer'}",
                id=ids.NAV_USER,
                className="navbar-text text-light me-2 small",
            ),
            html.A("Log out", href="/logout", className="btn btn-sm btn-outline-light"),
        ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Hitscope", href="/", className="fw-bold"),
                dbc.NavbarToggler(id=ids.NAVBAR_TOGGLER),
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        search_box(),
                        html.Div(right, className="d-flex align-items-center gap-2 py-2 py-md-0"),
                    ],
                    id=ids.NAVBAR_COLLAPSE,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        id=ids.NAVBAR,
        color="dark",
        dark=True,
        className="mb-3",
    )


def search_box() -> html.Div:
    """The navbar's search input and its drop-down of hits (filled by dashboard/search_box.py)."""
    return html.Div(
        [
            dbc.Label("Search artists and tracks", html_for=ids.NAV_SEARCH, className="visually-hidden"),
            dbc.Input(
                id=ids.NAV_SEARCH,
                type="search",
                placeholder="Search artists and tracks…",
                debounce=0.3,
                autocomplete="off",
                size="sm",
            ),
            html.Div(id=ids.NAV_SEARCH_RESULTS, className="nav-search-results"),
        ],
        className="nav-search me-md-3 my-2 my-md-0",
    )


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    children = [html.H2(title, className="h4 mb-1")]
    if subtitle:
        children.append(html.P(subtitle, className="text-muted small mb-0"))
    return html.Div(children, className="mb-3")


def unavailable_alert() -> dbc.Alert:
    return dbc.Alert(UNAVAILABLE, color="warning", className="mb-3")


def no_publication_alert() -> dbc.Alert:
    return dbc.Alert(NO_PUBLICATION, color="info", className="mb-3")


def demo_badge() -> dbc.Badge:
    return dbc.Badge("DEMO DATA", color="warning", text_color="dark", className="ms-2 align-middle")


def age_text(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 h 5 min ago', '2 days ago', or 'never'."""
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 90:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86400} days ago"


def genre_options(genres: list[str]) -> list[dict[str, str]]:
    return [{"label": formats.genre(genre), "value": genre} for genre in genres]


def genre_dropdown(component_id: str, genre: str | None, **props: object) -> dcc.Dropdown:
    """The pages' genre filter: "All genres" when empty; the URL's genre is its only option until the
    page's callback fills the list from the publication."""
    return dcc.Dropdown(
        id=component_id,
        options=genre_options([str(genre)]) if genre else [],
        value=genre,
        placeholder="All genres",
        **props,
    )


# "Scheduled retraining" is true by default: jobs/clock.py schedules it on RETRAIN_CRON (weekly, Sunday 03:00
# UTC), tests/test_clock.py fires it under a fake clock. An empty RETRAIN_CRON turns it off (then the worker's
# start-up log says "retraining at 'never'").
NO_MODEL = [
    html.Strong("No model trained yet. "),
    "Train one with ",
    html.Code("python -m jobs train"),
    " (the next refresh then scores every track), or wait for the worker's scheduled retraining.",
]


def no_model_alert(missing: str = "") -> dbc.Alert:
    lead = [html.Span(f"{missing} ")] if missing else []
    return dbc.Alert(lead + NO_MODEL, color="info", className="mb-3")


def entity_link(kind: str, entity_id: str) -> str:
    """The page of an artist or track; ids like 'demo:a000001' stay readable, anything odd is escaped."""
    return f"/{kind}/{quote(str(entity_id), safe=':')}"
