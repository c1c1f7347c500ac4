"""Lookup (`/lookup?q=<text>`): score any track on demand, from the navbar search or a pasted reference.

A Spotify track URL, URI or id that is not tracked yet becomes a lookup request (`lookup_requests`); the worker
answers it within seconds (jobs/lookup.py: fetch, store, watch, score at first sight) while this page polls the
request, then shows a gauge of the hit probability, the reasons in words, which model scored it (the first-sight
model with its validated PR-AUC, precision and interval in words, or the blanked main model for a version
without one: `dashboard.first_sight_words`) and "tracked daily from now on". The
web tier never loads the model. Text ("song - artist") is matched against the catalogue with RapidFuzz: no match
says so, matches give a pick list. A tracked track links to its page.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from rapidfuzz import fuzz

from core.model_report import parse_report
from core.spotify_refs import parse_reference
from dashboard import discover_figures, ids, queries, queries_morning, reasons, urlstate
from dashboard.auth import current_user
from dashboard.components import entity_link, page_header, unavailable_alert
from dashboard.db import reading, when_unavailable, writing
from dashboard.first_sight_words import scored_with_note
from dashboard.lookup_queries import is_tracked, lookup_answer, queue_lookup, version_metrics, waiting_lookups
from dashboard.search import Hit, index_for
from dashboard.search_box import hit_item

dash.register_page(__name__, path="/lookup", name="Lookup", title="Hitscope · Lookup", order=5, nav=True)

MAX_WAITING = 5  # unanswered lookups per user: each costs the worker a few source calls


def layout(q: str = "", **_query: str) -> html.Div:
    return html.Div(
        [
            page_header("Lookup", "Score any track: paste a Spotify track link, URI or id, or type 'song - artist'."),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=ids.LOOKUP_QUERY,
                        value=urlstate.text(q) or "",
                        placeholder="https://open.spotify.com/track/…",
                        debounce=True,
                        maxLength=300,
                    ),  # fmt: skip
                    dbc.Button("Look up", id=ids.LOOKUP_GO, color="primary"),
                ],
                className="mb-3",
            ),
            dcc.Store(id=ids.LOOKUP_REQUEST),
            dcc.Interval(id=ids.LOOKUP_POLL, interval=1000, disabled=True),
            html.Div(id=ids.LOOKUP_RESULT),
        ]
    )


def catalogue_matches(text: str) -> list[Hit]:
    """Tracks in the catalogue close to 'song - artist' (or just a song), best first."""
    song, _, artist = (part.strip() for part in text.partition(" - "))
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return []
        pid = publication.publication_id
        index = index_for(
            (pid, publication.published_at), lambda: queries_morning.search_rows(conn=conn, publication_id=pid)
        )
    hits = [hit for hit in index.search(song or text, limit=20) if hit.kind == "track"]
    if artist:
        hits = [hit for hit in hits if fuzz.token_sort_ratio(artist.lower(), hit.artist.lower()) >= 70]
    return hits[:10]


@callback(
    Output(ids.LOOKUP_RESULT, "children"),
    Output(ids.LOOKUP_REQUEST, "data"),
    Output(ids.LOOKUP_POLL, "disabled"),
    Input(ids.LOOKUP_GO, "n_clicks"),
    Input(ids.LOOKUP_QUERY, "n_submit"),
    State(ids.LOOKUP_QUERY, "value"),
)
@when_unavailable(lambda: (unavailable_alert(), None, True))
def look_up(_clicks: int | None, _submit: int | None, value: Any) -> tuple[object, object, bool]:
    """A reference: link to a tracked track, else queue a lookup and start polling. Text: the pick list."""
    text = urlstate.text(value)
    if not text or not text.strip():
        return None, None, True
    user = current_user()
    if user is None:
        return dbc.Alert("Sign in to look up tracks.", color="warning"), None, True
    try:
        kind, spotify_id = parse_reference(text, bare="track")
    except ValueError:
        return _pick_list(text.strip(), catalogue_matches(text.strip())), None, True
    if kind == "artist":
        page = html.A("open the artist's page", href=entity_link("artist", spotify_id))
        words = "Artists are watched from the command line (python -m jobs watch add); "
        return html.P([words, page, "."]), None, True
    with reading() as conn:
        tracked = is_tracked(conn=conn, track_id=spotify_id)
    if tracked:
        link = html.A("open its page", href=entity_link("track", spotify_id))
        return html.P(["This track is already tracked: ", link, "."], className="lookup-tracked"), None, True
    with writing() as conn:
        if waiting_lookups(conn=conn, username=user.name) >= MAX_WAITING:
            busy = f"You have {MAX_WAITING} lookups waiting for the worker: try again when they are answered."
            return dbc.Alert(busy, color="warning"), None, True
        request_id = queue_lookup(conn=conn, username=user.name, spotify_id=spotify_id)
    return _waiting(), {"request_id": request_id}, False


def _waiting() -> html.Div:
    return html.Div([dbc.Spinner(size="sm"), " Looking it up: the worker answers within seconds."],
                    className="lookup-waiting text-muted")  # fmt: skip


def _pick_list(text: str, hits: list[Hit]) -> object:
    if not hits:
        return dbc.Alert(
            f"No tracked track matches '{text}'. Paste its Spotify link to look it up.", color="secondary",
            className="lookup-none",
        )  # fmt: skip
    title = "Several tracks match: pick one." if len(hits) > 1 else "One track matches:"
    return html.Div([html.P(title, className="mb-1"), dbc.ListGroup([hit_item(hit) for hit in hits])],
                    className="lookup-candidates")  # fmt: skip


@callback(
    Output(ids.LOOKUP_RESULT, "children", allow_duplicate=True),
    Output(ids.LOOKUP_POLL, "disabled", allow_duplicate=True),
    Input(ids.LOOKUP_POLL, "n_intervals"),
    State(ids.LOOKUP_REQUEST, "data"),
    prevent_initial_call=True,
)
@when_unavailable(lambda: (unavailable_alert(), False))
def poll(_tick: int | None, data: Any) -> tuple[object, bool]:
    """While the request is pending: keep waiting. Then: the answer, and stop polling."""
    user = current_user()
    request_id = data.get("request_id") if isinstance(data, dict) else None
    if user is None or not isinstance(request_id, int):
        return no_update, True
    with reading() as conn:
        answer = lookup_answer(conn=conn, request_id=request_id, username=user.name)
        if answer is not None:
            answer["report"] = version_metrics(conn=conn, model_version_id=answer["model_version_id"])
    if answer is None:
        return dbc.Alert("This lookup is not yours or no longer exists.", color="warning"), True
    if answer["status"] in ("pending", "running"):
        return no_update, False
    return answer_view(answer), True


def answer_view(answer: dict[str, Any]) -> html.Div:
    """The worker's answer: not found, failed, or the track with its gauge and reasons."""
    if answer["status"] == "not_found":
        return html.Div(dbc.Alert(answer["message"] or "No such track.", color="secondary"), className="lookup-none")
    if answer["status"] == "failed":
        return dbc.Alert(answer["message"] or "The lookup failed.", color="danger")
    title = answer["name"] or answer["track_id"]
    by = f" by {answer['artist_name']}" if answer["artist_name"] else ""
    body: list[Any] = [html.H3([html.A(title, href=entity_link("track", answer["track_id"])), by], className="h5")]
    if answer["probability"] is not None:
        probability = float(answer["probability"])
        body.append(
            dcc.Graph(id=ids.LOOKUP_GAUGE, figure=discover_figures.gauge(probability), config={"displayModeBar": False})
        )
        found = reasons.reasons(answer["contributions"], answer["feature_values"], probability)
        body.append(html.Ul([html.Li(reason.words) for reason in found]) if found else html.P("No strong reasons."))
        notes = scored_with_note(answer.get("scored_with"), parse_report(answer.get("report")))
        body.append(html.Div([html.P(note, className="small text-muted mb-1") for note in notes],
                             className="lookup-scored-with"))  # fmt: skip
    if answer["message"]:
        body.append(dbc.Alert(answer["message"], color="info"))
    body.append(html.P("Tracked daily from now on, and on your watchlist.", className="fw-semibold lookup-tracked"))
    return html.Div(body, className="lookup-answer")
