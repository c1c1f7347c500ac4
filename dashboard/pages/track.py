"""Track (`/track/<track_id>`): hit probability, its reasons in words with values, history, links out.

The reasons are the features that moved this probability most (dashboard/reasons.py), each with the value
the model saw and its effect in percentage points; the exact log-odds waterfall is one click away, for
analysts. The history chart shows the hit threshold and marks the day the track reached it.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from sqlalchemy import Connection

from core.artwork import artwork_hosts
from core.settings import get_settings
from dashboard import (
    calibration,
    formats,
    glossary,
    ids,
    publication_cache,
    queries,
    queries_entity,
    similar_tracks,
    urlstate,
)
from dashboard.components import (
    demo_badge,
    entity_link,
    no_model_alert,
    no_publication_alert,
    page_header,
    unavailable_alert,
)
from dashboard.db import reading, when_unavailable
from dashboard.figures import empty_figure, history_lines, unavailable_figure
from dashboard.links import artwork, out_links
from dashboard.model_figures import BIAS, contributions_waterfall
from dashboard.reasons import reasons
from dashboard.watch_ui import star_button

dash.register_page(__name__, path_template="/track/<track_id>", name="Track", title="Hitscope · Track", nav=False)
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def layout(track_id: str = "", **_query: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.TRACK_ID, data=urlstate.path_id(track_id)),
            html.Div(id=ids.TRACK_HEADER),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(id=ids.TRACK_REASONS),
                            html.Details(
                                [
                                    html.Summary("The exact contributions (log-odds), for analysts",
                                                 className="small text-muted"),
                                    dcc.Graph(id=ids.TRACK_WATERFALL, config=GRAPH_CONFIG),
                                ],
                                id=ids.TRACK_EXACT,
                                className="mt-2",
                            ),
                        ],
                        lg=6,
                    ),
                    dbc.Col(dcc.Graph(id=ids.TRACK_HISTORY, config=GRAPH_CONFIG), lg=6),
                ],
                className="g-3",
            ),
            similar_tracks.panel(),
        ]
    )  # fmt: skip


@callback(
    Output(ids.TRACK_HEADER, "children"),
    Output(ids.TRACK_REASONS, "children"),
    Output(ids.TRACK_WATERFALL, "figure"),
    Output(ids.TRACK_HISTORY, "figure"),
    Input(ids.TRACK_ID, "data"),
)
@when_unavailable(lambda: (unavailable_alert(), None, unavailable_figure(), unavailable_figure()))
def render_track(track_id: str) -> tuple[object, object, object, object]:
    track_id = urlstate.text(track_id) or ""
    settings = get_settings()
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        info = queries_entity.track_info(conn=conn, track_id=track_id)
        pid = publication.publication_id if publication else None
        score = queries_entity.track_score(conn=conn, publication_id=pid, track_id=track_id) if pid else None
        scored = scored_tracks(conn, publication) if publication else 0
        history = queries_entity.metric_history(conn=conn, entity_type="track", entity_id=track_id)
        model = queries.active_model(conn=conn) if score else None
    if info is None:
        empty = empty_figure("Unknown track.")
        alert = dbc.Alert(f"No track with id {track_id!r}.", color="warning")
        return [page_header("Track not found"), alert], None, empty, empty
    label = (model.label if model else None) or {}
    hit = (str(label.get("metric") or settings.HIT_METRIC), float(label.get("threshold") or settings.HIT_THRESHOLD))
    history_figure = history_lines(history, title="History", hit=hit)
    bins = calibration.reliability_bins(model.metrics if model else None)
    hosts = artwork_hosts(settings.ARTWORK_HOSTS)
    header: list[object] = [track_header(info, score, publication, bins, hosts)]
    if publication is None:
        header.append(no_publication_alert())
        return header, None, empty_figure("Nothing published yet."), history_figure
    if score is None:
        if scored == 0:
            header.append(no_model_alert("This publication has no track scores."))
        else:
            header.append(
                dbc.Alert("The model did not score this track (it scores tracks observed in the last week).",
                          color="secondary")
            )  # fmt: skip
        return header, None, empty_figure("No score for this track."), history_figure
    probability = float(score["probability"])
    if score.get("contributions") is None:  # not computed: only listed tracks get contributions (TreeSHAP)
        return header, not_listed_card(), empty_figure(NOT_LISTED), history_figure
    contributions = score.get("contributions") or {}
    names = {k: k if k == BIAS else glossary.label(k) for k in contributions}
    unique = len(set(names.values())) == len(names)  # labels are unique; an unknown feature keeps its id
    labelled = {(names[k] if unique else k): v for k, v in contributions.items()}
    return (
        header,
        reasons_card(contributions, score.get("feature_values") or {}, probability),
        contributions_waterfall(labelled, probability),
        history_figure,
    )


def scored_tracks(conn: Connection, publication: queries.Publication) -> int:
    """How many tracks the publication scored (0: no model scored it), counted once per publication."""
    key = ("scored-tracks", publication_cache.publication_key(publication))
    return publication_cache.get_or_build(
        key, lambda: queries.scored_track_count(conn=conn, publication_id=publication.publication_id)
    )


NOT_LISTED = "Reasons are computed for listed tracks."
NOT_LISTED_HELP = (
    "Reasons are computed for listed tracks: the Morning lists, watchlisted tracks and the most likely tracks"
    " (at or above the reasons floor). This track's probability is published without them. Watch it and the"
    " next refresh gives its reasons."
)


def not_listed_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody(html.Div(NOT_LISTED_HELP, className="text-muted small", id=ids.TRACK_NOT_LISTED)))


def reasons_card(contributions: dict, values: dict, probability: float) -> dbc.Card:
    """The top reasons in words, each with the value the model saw and its effect in points."""
    found = reasons(contributions, values, probability)
    if not found:
        body: object = html.Div("This score has no recorded reasons.", className="text-muted small")
    else:
        body = html.Ul(
            [
                html.Li(
                    [
                        html.Span(reason.text),
                        html.Span(
                            formats.points(reason.effect),
                            className="ms-2 fw-semibold text-nowrap "
                            + ("text-success" if reason.effect > 0 else "text-danger"),
                        ),
                    ],
                    className="reason d-flex justify-content-between border-bottom py-1",
                )
                for reason in found
            ],
            className="list-unstyled mb-0",
        )
    return dbc.Card(
        [
            dbc.CardHeader("Why this score: the biggest reasons, with their effect in percentage points"),
            dbc.CardBody(body),
        ]
    )


def track_header(
    info: dict, score: dict | None, publication: queries.Publication | None, bins: list, hosts: tuple[str, ...]
) -> html.Div:
    is_demo = bool(publication and publication.is_demo)
    title = html.Span([info["name"], demo_badge() if is_demo else None, star_button("track", info["track_id"])])
    artist = (
        dcc.Link(info["artist_name"], href=entity_link("artist", info["artist_id"])) if info.get("artist_id") else "?"
    )
    released = formats.release_date(info.get("release_date"), info.get("release_date_precision"))
    links = out_links("track", info["track_id"], info.get("artist_name"), info["name"], is_demo=is_demo)
    facts = [
        html.Span(["by ", artist]),
        html.Span(f" · {formats.genre(info.get('genre')) or 'no genre'}"),
        html.Span(f" · released {released}") if released else None,
        *[html.A(f" · {label} ↗", href=url, target="_blank", rel="noopener") for label, url in links],
    ]
    stats = score_stats(score, bins) if score else []
    about = html.Div([html.H2(title, className="h4 mb-1"), html.Div(facts, className="text-muted small mb-2")])
    return html.Div(
        [
            html.Div(
                [artwork(info.get("image_url"), info["name"], hosts), about], className="d-flex align-items-start"
            ),
            html.Div(stats, id=ids.TRACK_STATS, className="d-flex flex-wrap align-items-end mb-3"),
        ]
    )


def score_stats(score: dict, bins: list) -> list[object]:
    """The hit probability, 7-day change and popularity of a scored track, and how often such scores came true."""
    probability = float(score["probability"])
    came_true = calibration.came_true(probability, bins)
    stats: list[object] = [
        html.Div(
            [
                html.Div("Hit probability", className="text-muted small"),
                html.Div(formats.pct(probability), className="fs-3 fw-semibold text-primary"),
            ],
            className="me-4",
        ),
        html.Div(
            [html.Div("7-day change", className="text-muted small"),
             html.Div(formats.signed(score.get("momentum_7d"), 1, " pts") or "–", className="fs-4")],
            className="me-4",
        ),
        html.Div(
            [html.Div("Popularity now", className="text-muted small"),
             html.Div(formats.count(score.get("popularity")) or "–", className="fs-4")],
            className="me-4",
        ),
        dbc.Badge("already a hit", color="success", className="align-self-center") if score.get("is_hit") else None,
    ]  # fmt: skip
    if came_true:
        stats.append(html.Div(came_true[0].upper() + came_true[1:] + ".", className="small text-muted w-100"))
    return stats
