"""`static_html.fold` (dashboard/static_html.py): a plain-html tree without ids becomes one `StaticHtml`; an id,
an event prop or a Bootstrap component inside keeps it as it was. Morning's headline numbers are one component.

    python -m pytest -n 0 tests/test_static_html.py -q
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import dash_bootstrap_components as dbc
from dash import html

from dashboard import static_html
from dashboard.morning_cards import headline_cards
from dashboard.queries import Publication


def plain(node: object) -> object:
    return json.loads(json.dumps(node, default=lambda c: c.to_plotly_json()))


def test_a_plain_tree_becomes_one_component_with_its_text_classes_and_styles() -> None:
    tree = html.Div([html.Div("Tracks", className="small", style={"minWidth": "3px"}), "x", html.Strong(3)])
    folded = plain(static_html.fold(tree))
    assert (folded["namespace"], folded["type"]) == ("hitscope", "StaticHtml")
    assert folded["props"]["tree"] == {
        "tag": "div", "props": {}, "children": [
            {"tag": "div", "props": {"className": "small", "style": {"minWidth": "3px"}}, "children": "Tracks"},
            "x", {"tag": "strong", "props": {}, "children": 3},
        ],
    }  # fmt: skip


def test_ids_events_links_and_other_components_are_left_as_they_are() -> None:
    for tree in (
        html.Div([html.Span("a", id="targeted")]),  # a callback may target it
        html.Div(html.Button("b", n_clicks=0)),  # an event, and a tag the browser side does not draw
        html.Div(html.A("c", href="/artist/x")),  # a link: Dash's own element follows it
        html.Div([dbc.Badge("d")]),  # a Bootstrap component
    ):
        assert static_html.fold(tree) is tree


def test_morning_headline_numbers_are_one_component() -> None:
    publication = Publication(
        publication_id=1, run_id=1, snapshot_date=date(2025, 6, 30), source="demo", is_demo=True,
        published_at=datetime(2025, 7, 1, tzinfo=UTC),
        summary={"metrics": ["spotify_popularity"], "unavailable_metrics": ["lastfm_listeners"]},
    )  # fmt: skip
    shown = plain(headline_cards({"n_artists": 1234, "n_scored": 7}, publication, None))
    assert shown["type"] == "StaticHtml" and "namespace" not in json.dumps(shown["props"])
    assert "1,234" in json.dumps(shown) and "card-body" in json.dumps(shown)
