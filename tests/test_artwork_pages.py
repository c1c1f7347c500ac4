"""The artist and track pages show the stored artwork (a fixed-size image, alt text the name) when there is
one on an allowed host, and no image at all otherwise. Catalogue rows go in through the real loader.

    /work/main/.venv/bin/python -m pytest tests/test_artwork_pages.py -q
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from jobs.load import load_batch
from jobs.sources.base import TRACK_COLUMNS, SourceBatch
from tests.dashboard_support import dash_app, dashboard_database, signed_in

ARTIST_IMAGE = "https://i.scdn.co/image/ab67616100005174a65f5211ef06d534018b7a11"
TRACK_IMAGE = "https://i.scdn.co/image/ab67616d00001e021465df104ab9c7772fe0da9b"
CATALOGUE = [  # (artist id, artist name and image, track id, track name and image)
    ("2CWWgbxApjbyByxBBCvGTm", "Katatonia", ARTIST_IMAGE, "4FjKl1Un9C9ITjHQpTDUOa", "Opaline", TRACK_IMAGE),
    ("0uXwrHUUlJRsD2rLlSlZgl", "No Art", None, "1aAaAaAaAaAaAaAaAaAaAa", "Bare Song", None),
    ("3bBbBbBbBbBbBbBbBbBbBb", "Elsewhere", "https://evil.example/a.png", "2cCcCcCcCcCcCcCcCcCcCc", "Far", None),
]


def images(component: Any) -> list[dict[str, Any]]:
    """The props of every html.Img in a rendered component tree."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Img" and node.get("namespace") == "dash_html_components":
                found.append(node["props"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif hasattr(node, "to_plotly_json"):
            walk(node.to_plotly_json())

    walk(component)
    return found


def seed(engine: Engine) -> None:
    artists = [
        {"artist_id": a, "name": n, "genre": None, "image_url": i, "source": "spotify"} for a, n, i, *_ in CATALOGUE
    ]
    tracks = [{"track_id": t, "name": n, "image_url": i, "source": "spotify"} for *_, t, n, i in CATALOGUE]
    links = [{"track_id": row[3], "artist_id": row[0], "position": 0} for row in CATALOGUE]
    batch = SourceBatch(
        source="spotify",
        artists=pd.DataFrame(artists),
        tracks=pd.DataFrame(tracks).reindex(columns=TRACK_COLUMNS),
        track_artists=pd.DataFrame(links),
    )
    with engine.begin() as conn:
        load_batch(conn=conn, batch=batch, run_id=None)


def test_artist_and_track_pages_show_allowed_artwork_and_nothing_else(clean_db: Engine, database_url: str) -> None:
    seed(clean_db)
    with dashboard_database(database_url):
        dash_app()
        artist_page = importlib.import_module("dashboard.pages.artist")
        track_page = importlib.import_module("dashboard.pages.track")
        with signed_in("ana"):
            shown = {
                name: (images(artist_page.render_artist(artist_id)[0]), images(track_page.render_track(track_id)[0]))
                for artist_id, name, _, track_id, _, _ in CATALOGUE
            }
    (artist_img,), (track_img,) = shown["Katatonia"]
    assert (artist_img["src"], artist_img["alt"]) == (ARTIST_IMAGE, "Katatonia")
    assert (track_img["src"], track_img["alt"]) == (TRACK_IMAGE, "Opaline")
    assert artist_img["width"] == artist_img["height"] == track_img["width"] == 96  # a fixed small size
    assert shown["No Art"] == ([], [])  # nothing stored: no image, no placeholder
    assert shown["Elsewhere"] == ([], [])  # a host outside ARTWORK_HOSTS is never put in a page
