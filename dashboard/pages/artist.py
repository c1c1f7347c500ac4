"""Artist (`/artist/<artist_id>`): where the artist stands, its metric history, its releases and scores."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from core.artwork import artwork_hosts
from core.settings import get_settings
from dashboard import formats, ids, queries, queries_entity, scout_rows, tables, urlstate
from dashboard.components import demo_badge, no_publication_alert, page_header, unavailable_alert
from dashboard.db import reading, when_unavailable
from dashboard.figures import empty_figure, history_lines, unavailable_figure
from dashboard.links import artwork, out_links
from dashboard.watch_ui import star_button

dash.register_page(__name__, path_template="/artist/<artist_id>", name="Artist", title="Hitscope · Artist", nav=False)

RELEASE_COLUMNS = [
    tables.link_column("name", "Track", kind="track", id_field="track_id", minWidth=150, tooltipField="name"),
    tables.number_column("probability", "Hit prob.", "pct", minWidth=112),
    tables.TEXT_DATE | {"field": "released", "headerName": "Released", "minWidth": 115},
    tables.number_column("popularity", "Popularity", minWidth=125),
    {"field": "is_hit", "headerName": "Hit", "minWidth": 80},
]


def layout(artist_id: str = "", **_query: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.ARTIST_ID, data=urlstate.path_id(artist_id)),
            html.Div(id=ids.ARTIST_HEADER),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.ARTIST_HISTORY, config={"displaylogo": False}), lg=6),
                    dbc.Col(releases_card(), lg=6),
                ],
                className="g-3",
            ),
        ]
    )


def releases_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [html.Span("Releases"), tables.export_button(ids.ARTIST_RELEASES_EXPORT)],
                    className="d-flex justify-content-between align-items-center",
                )
            ),
            dbc.CardBody(tables.grid(ids.ARTIST_RELEASES, RELEASE_COLUMNS, file_name="hitscope-releases.csv")),
        ]
    )


@callback(
    Output(ids.ARTIST_HEADER, "children"),
    Output(ids.ARTIST_HISTORY, "figure"),
    Output(ids.ARTIST_RELEASES, "rowData"),
    Input(ids.ARTIST_ID, "data"),
)
@when_unavailable(lambda: (unavailable_alert(), unavailable_figure(), []))
def render_artist(artist_id: str) -> tuple[object, object, object]:
    artist_id = urlstate.text(artist_id) or ""
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        pid = publication.publication_id if publication else -1
        profile = queries_entity.artist_profile(conn=conn, publication_id=pid, artist_id=artist_id)
        history = queries_entity.metric_history(conn=conn, entity_type="artist", entity_id=artist_id)
        releases = queries_entity.artist_releases(conn=conn, publication_id=pid, artist_id=artist_id)
    if profile is None:
        alert = dbc.Alert(f"No artist with id {artist_id!r}.", color="warning")
        return [page_header("Artist not found"), alert], empty_figure("Unknown artist."), []
    hosts = artwork_hosts(get_settings().ARTWORK_HOSTS)
    header: list[object] = [artist_header(profile, publication, hosts)]
    if publication is None:
        header.append(no_publication_alert())
    elif releases["probability"].isna().all():
        header.append(
            html.Div(
                "No release of this artist is scored in this publication (no model yet, or nothing recent).",
                className="small text-muted mb-2",
            )
        )
    return header, history_lines(history, title="Metric history"), scout_rows.release_rows(releases)


def artist_header(profile: dict, publication: queries.Publication | None, hosts: tuple[str, ...]) -> html.Div:
    stats = []
    for label, key, fmt in [
        ("Popularity", "popularity", formats.count),
        ("Δ 7 days", "popularity_7d", lambda v: formats.signed(v, 1, " pts")),
        ("Δ 28 days", "popularity_28d", lambda v: formats.signed(v, 1, " pts")),
        ("Followers", "followers", formats.count),
        ("Followers 28d", "followers_28d_pct", lambda v: formats.signed(v, 1, "%")),
        ("Listeners", "listeners", formats.count),
        ("Tracks", "n_tracks", formats.count),
    ]:
        value = profile.get(key)
        if not formats.missing(value):
            stats.append(
                dbc.Col(
                    [
                        html.Div(label, className="text-muted small"),
                        html.Div(fmt(value), className="fs-5"),
                    ],
                    xs=4,
                    md="auto",
                    className="me-md-4 mb-2",
                )
            )
    is_demo = bool(publication and publication.is_demo) or profile.get("source") == "demo"
    title = html.Span(
        [
            profile["name"],
            demo_badge() if publication and publication.is_demo else None,
            star_button("artist", profile["artist_id"]),
        ]
    )
    links = out_links("artist", profile["artist_id"], profile["name"], None, is_demo=is_demo)
    about = html.Div(
        [
            html.H2(title, className="h4 mb-1"),
            html.Div(
                [f"{formats.genre(profile.get('genre')) or 'no genre'} · source {profile['source']}"]
                + [html.A(f" · {label} ↗", href=url, target="_blank", rel="noopener") for label, url in links],
                className="text-muted small mb-2",
            ),
        ]
    )
    image = artwork(profile.get("image_url"), profile["name"], hosts)
    return html.Div(
        [html.Div([image, about], className="d-flex align-items-start"), dbc.Row(stats, className="g-0 mb-2")]
    )


tables.export_on_click(ids.ARTIST_RELEASES, ids.ARTIST_RELEASES_EXPORT)
