"""The navbar search box's callback: artists and tracks together, each hit with enough to tell namesakes apart
(kind, genre, popularity, main artist, id), linking to its page; a last item opens /lookup with the text, to score
a track that is not tracked. Imported once by dashboard/app.py."""

from __future__ import annotations

from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import formats, ids, queries, queries_morning, urlstate
from dashboard.components import entity_link, unavailable_alert
from dashboard.db import reading, when_unavailable
from dashboard.search import Hit, index_for


def hit_item(hit: Hit) -> dbc.ListGroupItem:
    facts = [formats.genre(hit.genre) or "no genre"]
    if hit.kind == "track" and hit.artist:
        facts.insert(0, f"by {hit.artist}")
    if hit.popularity is not None:
        facts.append(f"popularity {formats.count(hit.popularity)}")
    if hit.same > 1:
        facts.append(f"{hit.same} entries of this name")
    return dbc.ListGroupItem(
        [
            html.Div(
                [
                    dbc.Badge(hit.kind, color="primary" if hit.kind == "track" else "secondary", className="me-2"),
                    html.Span(hit.name, className="fw-semibold"),
                ]
            ),
            html.Div(" · ".join(facts), className="small text-muted"),
            html.Div(hit.entity_id, className="small text-muted font-monospace"),
        ],
        href=entity_link(hit.kind, hit.entity_id),
        action=True,
        className="py-1 search-hit",
    )


@callback(Output(ids.NAV_SEARCH_RESULTS, "children"), Input(ids.NAV_SEARCH, "value"), prevent_initial_call=True)
@when_unavailable(unavailable_alert)
def search_everything(text: str | None) -> object:
    """Up to 10 artists and tracks whose names match the typed text (typos and word order are fine)."""
    text = urlstate.text(text)
    if not text:
        return None
    lookup = dbc.ListGroupItem(
        "Score a track that is not here (Spotify link or 'song - artist') →",
        href=f"/lookup?q={quote(text, errors='replace')}", action=True, className="py-1 small search-lookup",
    )  # fmt: skip
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            note = dbc.ListGroupItem("Nothing published yet.", className="small text-muted py-1")
            return dbc.ListGroup([note, lookup], className="shadow")
        pid = publication.publication_id
        index = index_for(
            (pid, publication.published_at), lambda: queries_morning.search_rows(conn=conn, publication_id=pid)
        )
    hits = index.search(text)
    if not hits:
        note = dbc.ListGroupItem(f"No artist or track close to '{text}'.", className="small text-muted py-1")
        return dbc.ListGroup([note, lookup], className="shadow")
    return dbc.ListGroup([*(hit_item(hit) for hit in hits), lookup], className="shadow")
