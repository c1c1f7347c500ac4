"""Morning (home): freshness and last run, the emerging-hit list, top risers, alerts, headline numbers.

The genre and the risers' window and basis live in the URL (`/?genre=latin&window=28&basis=percent`).
The emerging list keeps tracks at or above a probability floor, banded strong / watch / long shot, with how
often such a score came true (the active model's reliability bins); risers and emerging tracks carry a
28-day sparkline; alerts are one row per artist and spike. Every list exports what it shows.

The three lists are short, so they are plain tables drawn on the server (dashboard/short_table.py: sortable,
paged, exported on the server), not grids: without the watchlist's grid the page loads no dash-ag-grid chunk.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import (
    calibration,
    formats,
    ids,
    morning_lists,
    ops_queries,
    publication_cache,
    queries,
    run_view,
    scout_rows,
    short_table,
    tables,
    urlstate,
    watch_ui,
)
from dashboard.components import (
    genre_dropdown,
    genre_options,
    no_model_alert,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import one_snapshot, reading, when_unavailable
from dashboard.morning_cards import freshness_card, headline_cards, last_run_card

dash.register_page(__name__, path="/", name="Morning", title="Hitscope · Morning", order=0, nav=True)

DEFAULTS: dict[str, object] = {"genre": None, "window": "7", "basis": "points"}


def parse_filters(query: dict[str, object]) -> dict[str, object]:
    return {
        "genre": urlstate.one(query.get("genre")),
        "window": urlstate.choice(query.get("window"), ("7", "28"), "7"),
        "basis": urlstate.choice(query.get("basis"), ("points", "percent"), "points"),
    }


short_table.register(ids.MORNING_EMERGING, tables.EMERGING_COLUMNS, file_name="hitscope-emerging.csv")
short_table.register(ids.MORNING_RISERS, tables.RISER_COLUMNS, file_name="hitscope-risers.csv")
short_table.register(ids.MORNING_ALERTS_GRID, tables.ALERT_COLUMNS, file_name="hitscope-alerts.csv")


def url_values(filters: dict[str, object]) -> dict[str, object]:
    """The filters as the query string writes them (what `morning_url` compares with the URL)."""
    return {"genre": urlstate.text(filters["genre"]), "window": filters["window"], "basis": filters["basis"]}


def _card(title: object, body: object, *, export_id: object) -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(tables.export_header(title, export_id)), dbc.CardBody(body)], className="mb-3 h-100"
    )


def layout(**query: str) -> html.Div:
    """The page with its first view already in it: the data the callbacks below would send is read here, so the
    browser draws everything from the one page-content response (no callback round trip after it). The
    callbacks run only when a filter changes or the minute's tick comes. Its parts read in one snapshot."""
    filters = parse_filters(query)
    with one_snapshot():
        freshness, last_run = render_morning(None)
        lists = dict(zip(LIST_OUTPUTS, first_lists(filters["genre"], filters["window"], filters["basis"]), strict=True))
        watchlist = watch_ui.morning_card()
    return html.Div(
        [
            urlstate.location(ids.MORNING_URL, url_values(filters), DEFAULTS),
            page_header("Morning", "What is breaking: the emerging hits, who is rising, what spiked."),
            dcc.Interval(id=ids.MORNING_LOAD, interval=60_000),
            html.Div(freshness, id=ids.MORNING_FRESHNESS),
            dbc.Row(dbc.Col(genre_filter(filters["genre"], lists["options"]), xs=12, md=4), className="g-3 mb-3"),
            html.Div(lists["headlines"], id=ids.MORNING_HEADLINES, className="mb-3"),
            dbc.Row([emerging_column(lists), risers_column(filters, lists)], className="g-3"),
            alerts_card(lists),
            watchlist,
            html.Div(last_run, id=ids.MORNING_LAST_RUN, className="mt-3"),
        ]
    )


def genre_filter(genre: object, options: object) -> object:
    """The genre dropdown with the publication's genres (the URL's genre alone when nothing is published)."""
    dropdown = genre_dropdown(ids.MORNING_GENRE, genre)
    if options:
        dropdown.options = options  # type: ignore[attr-defined]
    return dropdown


def _table(name: str, rows: object) -> html.Div:
    """One of the page's lists with its first rows already drawn."""
    return short_table.table(name, rows if isinstance(rows, list) else [], element_id=name)


def emerging_column(lists: dict[str, object]) -> dbc.Col:
    return dbc.Col(
        _card(
            "Emerging hits: not a hit yet, most likely to become one",
            [html.Div(lists["note"], id=ids.MORNING_EMERGING_NOTE), _table(ids.MORNING_EMERGING, lists["emerging"])],
            export_id=ids.short_table("export", ids.MORNING_EMERGING),
        ),
        lg=7,
        className="mb-3",
    )


def risers_column(filters: dict[str, object], lists: dict[str, object]) -> dbc.Col:
    """Top risers, with their window (7 or 28 days) and basis (points or percent) from the URL."""
    risers_controls = html.Div(
        [
            dbc.RadioItems(
                id=ids.MORNING_RISER_WINDOW,
                options=[{"label": "7 days", "value": "7"}, {"label": "28 days", "value": "28"}],
                value=filters["window"],
                inline=True,
                className="me-3",
            ),
            dbc.RadioItems(
                id=ids.MORNING_RISER_BASIS,
                options=[{"label": "points", "value": "points"}, {"label": "%", "value": "percent"}],
                value=filters["basis"],
                inline=True,
            ),
        ],
        className="d-flex flex-wrap small mb-2",
    )
    body = [risers_controls, _table(ids.MORNING_RISERS, lists["risers"])]
    return dbc.Col(
        _card("Top risers", body, export_id=ids.short_table("export", ids.MORNING_RISERS)), lg=5, className="mb-3"
    )


def alerts_card(lists: dict[str, object]) -> dbc.Card:
    return _card(
        "Alerts: spikes against an artist's own trend",
        [html.Div(lists["alerts_note"], id=ids.MORNING_ALERTS), _table(ids.MORNING_ALERTS_GRID, lists["alerts"])],
        export_id=ids.short_table("export", ids.MORNING_ALERTS_GRID),
    )


@callback(
    Output(ids.MORNING_FRESHNESS, "children"),
    Output(ids.MORNING_LAST_RUN, "children"),
    Input(ids.MORNING_LOAD, "n_intervals"),
    prevent_initial_call=True,  # the layout holds the first view
)
@when_unavailable(lambda: (unavailable_alert(), None))
def render_morning(_tick: int | None) -> tuple[object, object]:
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        succeeded = queries.last_run(conn=conn, status="succeeded")
        latest = queries.last_run(conn=conn)
        outcome = ops_queries.run_outcome(conn=conn, run_id=latest.run_id) if latest else None
    run_card = last_run_card(latest, outcome)
    if publication is None:
        return no_publication_alert(), run_card
    return freshness_card(publication, succeeded), run_card


def emerging_note(n_shown: int, n_scored: int, genre: str | None, bins: list[dict]) -> object:
    """What the list is, in words: the floor, the bands, and how often such scores came true."""
    if n_scored == 0:
        return no_model_alert("No track scores in this publication.")
    floor = formats.pct(calibration.LIST_FLOOR, 0)
    scope = f" in {formats.genre(genre)}" if genre else ""
    if n_shown == 0:
        return html.Div(f"No track{scope} not yet a hit has a hit probability of {floor} or more.",
                        className="text-muted small")  # fmt: skip
    bands = []
    for name, low, high in calibration.band_ranges():
        span = f"{formats.pct(low, 0)} or more" if high > 1 else f"{formats.pct(low, 0)}–{formats.pct(high, 0)}"
        rate = calibration.band_came_true(low, high, bins)
        bands.append(f"{name} ({span})" + (f": {rate} became hits" if rate else ""))
    words = (
        "" if bins else " The model's report has no reliability table, so how often such scores came true is unknown."
    )
    return html.Div(
        f"The {n_shown:,} non-hits{scope} with a hit probability of {floor} or more, most likely first. "
        f"Of tracks scored like this in the model's forward tests: {'; '.join(bands)}.{words}",
        className="text-muted small mb-1",
    )


# What `lists_view` returns, in the order of `render_lists`'s outputs.
LIST_OUTPUTS = ("note", "emerging", "risers", "alerts_note", "alerts", "headlines", "options")


def lists_view(genre: str | None, window: str, basis: str) -> tuple[object, ...]:
    """The emerging-hit list, the risers, the alerts and the headline numbers of one publication and genre."""
    genre = urlstate.text(genre)
    days = 28 if urlstate.one(window) == "28" else 7
    basis = urlstate.choice(basis, ("points", "percent"), "points")
    read = morning_lists.read_lists(genre, days, basis)
    if read is None:
        return None, [], [], None, [], None, []
    bins = calibration.reliability_bins(read["model"].metrics if read["model"] else None)
    n_emerging = len(read["emerging"])
    note = (
        run_view.training_alert(read["training"])
        if read["training"]
        else emerging_note(n_emerging, read["n_scored"], genre, bins)
    )
    alerts_note = None
    if read["spikes"].empty:
        alerts_note = html.Div(
            "No spike against an artist's own trend in this publication"
            + (f" for {formats.genre(genre)}." if genre else "."),
            className="text-muted small",
        )
    emerging, risers, alerts = list_rows(read, bins, (genre, days, basis))
    return (
        note,
        emerging,
        risers,
        alerts_note,
        alerts,
        headline_cards(read["counts"], read["publication"], genre),
        genre_options(read["genres"]),
    )


def list_rows(
    read: dict[str, Any], bins: list[dict[str, Any]], filters: tuple[object, ...]
) -> tuple[list[dict[str, Any]], ...]:
    """The three grids' rows, built once per (publication, filters, active model): the model's reliability bins
    word the emerging list, and a publication never changes (dashboard/publication_cache.py)."""
    model_id = read["model"].model_version_id if read["model"] else None
    key = ("morning-rows", publication_cache.publication_key(read["publication"]), *filters, model_id)
    return publication_cache.get_or_build(
        key,
        lambda: (
            scout_rows.emerging_rows(read["emerging"], bins, read["track_trends"]),
            scout_rows.riser_rows(read["risers"], read["artist_trends"]),
            scout_rows.alert_rows(read["spikes"]),
        ),
    )


# The layout's first view: the same lists, or the unavailable alert and empty grids.
first_lists = when_unavailable(lambda: (unavailable_alert(), [], [], None, [], None, []))(lists_view)


@callback(
    Output(ids.MORNING_EMERGING_NOTE, "children"),
    Output(ids.short_table("rows", ids.MORNING_EMERGING), "data"),
    Output(ids.short_table("rows", ids.MORNING_RISERS), "data"),
    Output(ids.MORNING_ALERTS, "children"),
    Output(ids.short_table("rows", ids.MORNING_ALERTS_GRID), "data"),
    Output(ids.MORNING_HEADLINES, "children"),
    Output(ids.MORNING_GENRE, "options"),
    Input(ids.MORNING_GENRE, "value"),
    Input(ids.MORNING_RISER_WINDOW, "value"),
    Input(ids.MORNING_RISER_BASIS, "value"),
    prevent_initial_call=True,  # the layout holds the first view
)
@when_unavailable(lambda: (unavailable_alert(), *(dash.no_update,) * 6))
def render_lists(genre: str | None, window: str, basis: str) -> tuple[object, ...]:
    """A filter changed: the lists again (`lists_view`)."""
    return lists_view(genre, window, basis)


@callback(
    Output(ids.MORNING_URL, "search"),
    Output(ids.MORNING_GENRE, "value"),
    Output(ids.MORNING_RISER_WINDOW, "value"),
    Output(ids.MORNING_RISER_BASIS, "value"),
    Input(ids.MORNING_URL, "search"),
    Input(ids.MORNING_GENRE, "value"),
    Input(ids.MORNING_RISER_WINDOW, "value"),
    Input(ids.MORNING_RISER_BASIS, "value"),
    prevent_initial_call=True,
)
def morning_url(search: str | None, genre: str | None, window: str, basis: str) -> tuple[object, ...]:
    """Controls -> query string; query string (back/forward) -> controls."""
    values = url_values({**parse_filters({"window": window, "basis": basis}), "genre": genre})
    return urlstate.sync_url(search, ids.MORNING_URL, values, parse_filters, DEFAULTS)
