"""Seasonality: which release months work for which genre (hit rate and mean popularity by release month).

Filters live in the URL (`/seasonality?genre=latin&from=2024&to=2025`). Tracks whose release date is known
to the year only cannot be placed in a month, and releases younger than the hit horizon have not had the time
to become hits ("still open"): both are left out, and the page says how many. Every bar and cell shows its n.
With a genre chosen, the heatmap shows that genre by release year and month.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from core.settings import get_settings
from dashboard import formats, ids, queries, queries_season, urlstate
from dashboard.components import genre_dropdown, genre_options, no_publication_alert, page_header, unavailable_alert
from dashboard.db import reading, when_unavailable
from dashboard.figures import empty_figure, seasonality_bars, seasonality_heatmap, unavailable_figure

dash.register_page(__name__, path="/seasonality", name="Seasonality", title="Hitscope · Seasonality", order=2, nav=True)

DEFAULTS: dict[str, object] = {"genre": None, "from": None, "to": None, "metric": "hit_rate"}
METRIC_LABELS = {"hit_rate": "Hit rate", "mean_popularity": "Mean popularity"}
YEAR_BOUNDS = (1900, 2100)


def parse_filters(query: dict[str, object]) -> dict[str, object]:
    return {
        "genre": urlstate.one(query.get("genre")),
        "from": urlstate.integer(query.get("from"), None, low=YEAR_BOUNDS[0], high=YEAR_BOUNDS[1]),
        "to": urlstate.integer(query.get("to"), None, low=YEAR_BOUNDS[0], high=YEAR_BOUNDS[1]),
        "metric": urlstate.choice(query.get("metric"), METRIC_LABELS, str(DEFAULTS["metric"])),
    }


def layout(**query: str) -> html.Div:
    filters = parse_filters(query)
    return html.Div(
        [
            dcc.Location(id=ids.SEASON_URL, refresh=False),
            page_header("Seasonality", "Which release months work for which genre: hit rate and popularity by month."),
            controls(filters),
            html.Div(id=ids.SEASON_ALERT),
            html.Div(id=ids.SEASON_EXCLUDED, className="small text-muted mb-2"),
            charts(filters),
        ]
    )


def controls(filters: dict[str, object]) -> dbc.Row:
    """The genre and the release years, set from the URL's filters (the slider's bounds come later)."""
    genre = filters["genre"]
    years = sorted([filters["from"], filters["to"]]) if filters["from"] and filters["to"] else None
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Genre", html_for=ids.SEASON_GENRE, className="small text-muted mb-0"),
                    genre_dropdown(ids.SEASON_GENRE, genre),
                ],
                xs=12,
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label("Release years", className="small text-muted mb-0"),
                    dcc.RangeSlider(
                        id=ids.SEASON_YEARS,
                        min=YEAR_BOUNDS[0] if not years else min(years),
                        max=YEAR_BOUNDS[1] if not years else max(years),
                        step=1,
                        value=years,
                        marks=None,
                        allowCross=False,
                    ),
                ],
                xs=12,
                md=8,
            ),
        ],
        className="g-2 mb-3 align-items-end",
    )


def charts(filters: dict[str, object]) -> dbc.Row:
    """The bars by release month, and the heatmap with its metric switch."""
    return dbc.Row(
        [
            dbc.Col(dcc.Graph(id=ids.SEASON_BARS, config={"displaylogo": False}), lg=6),
            dbc.Col(
                [
                    dbc.RadioItems(
                        id=ids.SEASON_METRIC,
                        options=[{"label": label, "value": key} for key, label in METRIC_LABELS.items()],
                        value=filters["metric"],
                        inline=True,
                        className="small mb-1",
                    ),
                    dcc.Graph(id=ids.SEASON_HEATMAP, config={"displaylogo": False}),
                ],
                lg=6,
            ),
        ],
        className="g-3",
    )


@callback(
    Output(ids.SEASON_GENRE, "options"),
    Output(ids.SEASON_YEARS, "min"),
    Output(ids.SEASON_YEARS, "max"),
    Output(ids.SEASON_YEARS, "marks"),
    Output(ids.SEASON_YEARS, "value"),
    Input(ids.SEASON_URL, "pathname"),
    State(ids.SEASON_YEARS, "value"),
)
@when_unavailable(lambda: (dash.no_update,) * 5)
def season_options(_path: str | None, years: list[int] | None) -> tuple[object, ...]:
    """Fill the genre list and the slider's bounds from the publication; keep a year range from the URL."""
    kept = urlstate.year_range(years, low=YEAR_BOUNDS[0], high=YEAR_BOUNDS[1])
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return [], 0, 1, None, None
        pid = publication.publication_id
        genres = queries_season.seasonality_genres(conn=conn, publication_id=pid)
        bounds = queries_season.seasonality_years(conn=conn, publication_id=pid)
    if bounds is None:
        return genre_options(genres), 0, 1, None, None
    low, high = bounds
    marks = {year: str(year) for year in range(low, high + 1)}
    if kept:
        value = [max(low, min(kept[0], high)), min(high, max(kept[1], low))]
    else:
        value = [low, high]
    return genre_options(genres), low, high, marks, value


@callback(
    Output(ids.SEASON_ALERT, "children"),
    Output(ids.SEASON_EXCLUDED, "children"),
    Output(ids.SEASON_BARS, "figure"),
    Output(ids.SEASON_HEATMAP, "figure"),
    Input(ids.SEASON_GENRE, "value"),
    Input(ids.SEASON_YEARS, "value"),
    Input(ids.SEASON_METRIC, "value"),
)
@when_unavailable(lambda: (unavailable_alert(), None, unavailable_figure(), unavailable_figure()))
def render_seasonality(genre: str | None, years: list[int] | None, metric: str = "hit_rate") -> tuple[object, ...]:
    genre = urlstate.text(genre)
    metric = urlstate.choice(metric, METRIC_LABELS, str(DEFAULTS["metric"]))
    chosen = urlstate.year_range(years, low=YEAR_BOUNDS[0], high=YEAR_BOUNDS[1])
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            empty = empty_figure("Nothing published yet.")
            return no_publication_alert(), None, empty, empty
        pid = publication.publication_id
        bounds = queries_season.seasonality_years(conn=conn, publication_id=pid)
        if bounds is None:
            empty = empty_figure("No release with a known month yet.")
            return None, None, empty, empty
        low, high = chosen or bounds
        selected = queries_season.seasonality(conn=conn, publication_id=pid, genre=genre, year_from=low, year_to=high)
        cells = (
            selected
            if genre is None
            else queries_season.seasonality_by_year(
                conn=conn, publication_id=pid, genre=genre, year_from=low, year_to=high
            )
        )
        excluded, still_open = queries_season.seasonality_excluded(
            conn=conn, publication_id=pid, genre=genre, year_from=low, year_to=high
        )
    scope = f"{formats.genre(genre)} releases" if genre else "releases of every genre"
    counted = int(selected["n_tracks"].sum()) if not selected.empty else 0
    horizon = get_settings().HIT_HORIZON_DAYS
    note = (
        f"{counted:,} {scope} from {low} to {high} with a day or month release date, each released at least "
        f"{horizon} days before the data date. Left out: {still_open:,} younger ones, still open (they have "
        f"not had {horizon} days to become hits), and {excluded:,} with a year-only release date (their month "
        "is unknown)."
    )
    return None, note, seasonality_bars(selected), seasonality_heatmap(cells, metric, genre=genre)


@callback(
    Output(ids.SEASON_URL, "search"),
    Output(ids.SEASON_GENRE, "value"),
    Output(ids.SEASON_YEARS, "value", allow_duplicate=True),
    Output(ids.SEASON_METRIC, "value"),
    Input(ids.SEASON_URL, "search"),
    Input(ids.SEASON_GENRE, "value"),
    Input(ids.SEASON_YEARS, "value"),
    Input(ids.SEASON_METRIC, "value"),
    State(ids.SEASON_YEARS, "min"),
    State(ids.SEASON_YEARS, "max"),
    prevent_initial_call=True,
)
def seasonality_url(
    search: str | None, genre: str | None, years: list[int] | None, metric: str, low: int, high: int
) -> tuple[object, ...]:
    """Controls -> query string; query string (back/forward) -> controls; a full year range is implicit."""
    values: dict[str, object] = {
        "genre": urlstate.text(genre),
        "metric": urlstate.choice(metric, METRIC_LABELS, str(DEFAULTS["metric"])),
    }
    chosen = urlstate.year_range(years, low=YEAR_BOUNDS[0], high=YEAR_BOUNDS[1])
    if chosen and list(chosen) != [low, high]:
        values.update({"from": chosen[0], "to": chosen[1]})
    return urlstate.sync_url(
        search,
        ids.SEASON_URL,
        values,
        lambda query: url_controls(parse_filters(query), low, high),
        DEFAULTS,
        controls=("genre", "years", "metric"),
    )


def url_controls(filters: dict[str, Any], low: int, high: int) -> dict[str, object]:
    """The controls for a URL's filters: its year range kept inside the slider's bounds, else all of them."""
    given = filters["from"] and filters["to"]
    first, last = (min(filters["from"], filters["to"]), max(filters["from"], filters["to"])) if given else (low, high)
    return {"genre": filters["genre"], "years": [max(low, first), min(high, last)], "metric": filters["metric"]}
