"""Artists: the artist-popularity leaderboard (level or 7/28-day growth), top N, by genre (search is in the navbar).

Filters live in the URL (`/artists?genre=pop&order=growth7&top=20`), so a copied link reproduces the view.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from sqlalchemy import Connection

from dashboard import artists_grid, formats, ids, publication_cache, queries, urlstate
from dashboard.components import (
    genre_dropdown,
    genre_options,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import reading, when_unavailable
from dashboard.figures import artist_bars, empty_figure, unavailable_figure

dash.register_page(__name__, path="/artists", name="Artists", title="Hitscope · Artists", order=1, nav=True)

TOP_CHOICES = (10, 20, 30, 50)
DEFAULTS = {"genre": None, "order": "level", "top": 20}
ORDER_LABELS = {"level": "Popularity now", "growth7": "Growth, 7 days", "growth28": "Growth, 28 days"}


def parse_filters(query: dict[str, object]) -> dict[str, object]:
    return {
        "genre": urlstate.one(query.get("genre")),
        "order": urlstate.choice(query.get("order"), queries.ARTIST_ORDERS, DEFAULTS["order"]),
        "top": urlstate.integer(query.get("top"), DEFAULTS["top"], low=1, high=max(TOP_CHOICES)),
    }


def layout(**query: str) -> html.Div:
    filters = parse_filters(query)
    return html.Div(
        [
            dcc.Location(id=ids.ARTISTS_URL, refresh=False),
            page_header("Artists", "Who is biggest, and who is rising fastest, in the current publication."),
            controls(filters),
            html.Div(id=ids.ARTISTS_ALERT),
            dcc.Loading(dcc.Graph(id=ids.ARTISTS_GRAPH, config={"displaylogo": False}), delay_show=300),
            leaderboard_card(),
        ]
    )


def controls(filters: dict[str, object]) -> dbc.Row:
    """Genre, ranking and top N, set from the URL's filters."""
    genre = filters["genre"]
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Genre", html_for=ids.ARTISTS_GENRE, className="small text-muted mb-0"),
                    genre_dropdown(ids.ARTISTS_GENRE, genre, clearable=True),
                ],
                xs=12,
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label("Rank by", className="small text-muted mb-0 d-block"),
                    dbc.RadioItems(
                        id=ids.ARTISTS_ORDER,
                        options=[{"label": label, "value": key} for key, label in ORDER_LABELS.items()],
                        value=filters["order"],
                        inline=True,
                    ),
                ],
                xs=12,
                md=5,
            ),
            dbc.Col(
                [
                    dbc.Label("Show", html_for=ids.ARTISTS_TOP, className="small text-muted mb-0"),
                    dcc.Dropdown(
                        id=ids.ARTISTS_TOP,
                        options=[{"label": f"Top {n}", "value": n} for n in TOP_CHOICES],
                        value=filters["top"],
                        clearable=False,
                    ),
                ],
                xs=12,
                md=3,
            ),
        ],
        className="g-2 mb-3 align-items-end",
    )


def leaderboard_card() -> dbc.Card:
    return artists_grid.panel()


@callback(
    Output(ids.ARTISTS_ALERT, "children"),
    Output(ids.ARTISTS_GRAPH, "figure"),
    Output(ids.ARTISTS_GENRE, "options"),
    Input(ids.ARTISTS_GENRE, "value"),
    Input(ids.ARTISTS_ORDER, "value"),
    Input(ids.ARTISTS_TOP, "value"),
)
@when_unavailable(lambda: (unavailable_alert(), unavailable_figure(), dash.no_update))
def render_artists(genre: str | None, order: str, top: int) -> tuple[object, object, object]:
    """The alert, the top-N figure and the genre options; the grid's rows come from `artists_grid`.
    Cached per (publication, genre, order, top): a publication never changes."""
    genre = urlstate.text(genre)
    order = urlstate.choice(order, queries.ARTIST_ORDERS, str(DEFAULTS["order"]))
    top = urlstate.integer(top, int(DEFAULTS["top"]), low=1, high=max(TOP_CHOICES)) or int(DEFAULTS["top"])
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return no_publication_alert(), empty_figure("Nothing published yet."), dash.no_update
        key = ("artists", publication_cache.publication_key(publication), genre, order, top)
        return publication_cache.get_or_build(
            key, lambda: _artists_view(conn, publication.publication_id, genre, order, top)
        )


def _artists_view(conn: Connection, pid: int, genre: str | None, order: str, top: int) -> tuple[object, object, object]:
    genres = queries.leaderboard_genres(conn=conn, publication_id=pid)
    frame = queries.artist_leaderboard(conn=conn, publication_id=pid, genre=genre, order=order, limit=top)
    alert = None
    if genre and genre not in genres:
        alert = dbc.Alert(f"No artist of genre '{formats.genre(genre)}' in the current publication.", color="secondary")
    column, label = queries.ARTIST_ORDERS[order]
    title = f"{label} · top {top}" + (f" · {formats.genre(genre)}" if genre else " · all genres")
    return alert, artist_bars(frame, value=column, label=title), genre_options(genres)


@callback(
    Output(ids.ARTISTS_URL, "search"),
    Output(ids.ARTISTS_GENRE, "value"),
    Output(ids.ARTISTS_ORDER, "value"),
    Output(ids.ARTISTS_TOP, "value"),
    Input(ids.ARTISTS_URL, "search"),
    Input(ids.ARTISTS_GENRE, "value"),
    Input(ids.ARTISTS_ORDER, "value"),
    Input(ids.ARTISTS_TOP, "value"),
    prevent_initial_call=True,
)
def artists_url(search: str | None, genre: str | None, order: str, top: int) -> tuple[object, ...]:
    """Controls -> query string; query string (back/forward) -> controls."""
    filters = parse_filters({"order": order, "top": top})
    values = {"genre": urlstate.text(genre), "order": filters["order"], "top": filters["top"]}
    return urlstate.sync_url(search, ids.ARTISTS_URL, values, parse_filters, DEFAULTS)
