"""Artwork from the spotify source: real spotipy against the local fake server, through the real refresh.

The artist's image and each album's image (the one nearest 300 px) are stored in `artists.image_url` and
`tracks.image_url`; a plain-http or foreign-host URL is dropped; a later batch without artwork (another
source) leaves a stored image alone; ARTWORK_HOSTS (which goes into the CSP) takes host names only.

    /work/main/.venv/bin/python -m pytest tests/test_artwork_source.py -q
"""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from core.settings import Settings
from jobs.load import load_batch
from jobs.sources.base import SourceBatch
from jobs.sources_store import add_watch
from tests.fakes.spotify_server import FakeSpotify, fake_id
from tests.test_spotify_source import DAY, KATATONIA, make_source, rows, run, watch

OTHER = fake_id("artist", "artwork")
ARTIST_300 = "https://i.scdn.co/image/ab67616100005174a65f5211ef06d534018b7a11"  # artist.json's 320 px image
ALBUM_300 = "https://i.scdn.co/image/a014dbaab6a1d4ae99ff83d523d4696c307b4009"  # artist-albums.json's 300 px
FOREIGN = [
    {"url": "http://i.scdn.co/image/plain-http", "height": 300, "width": 300},
    {"url": "https://i.scdn.co.evil.example/image/x", "height": 300, "width": 300},
    {"url": "https://i.scdn.co@evil.example/image/x", "height": 300, "width": 300},
    {"url": "https://evil.example/image/x", "height": 300, "width": 300},
]


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_spotify_artwork_is_stored_only_from_https_on_allowed_hosts(clean_db: Engine, sleeps: list[float]) -> None:
    with FakeSpotify({KATATONIA: "Katatonia", OTHER: "Other"}, albums_per_artist=2) as server:
        server.artists[OTHER]["images"] = FOREIGN
        server.albums[OTHER][0]["images"][:] = FOREIGN  # in place: the full tracks' album shares the list
        bad_album_tracks = {t["id"] for t in server.album_tracks[server.albums[OTHER][0]["id"]]}
        watch(clean_db, KATATONIA, OTHER)
        run(clean_db, make_source(clean_db, server, sleeps))
    assert rows(clean_db, "SELECT artist_id, image_url FROM artists ORDER BY name") == [
        (KATATONIA, ARTIST_300), ("19HFRWmRCl27kTk6LeqAO8", None), (OTHER, None),
    ]  # fmt: skip  # the co-credited artist is name-only: no artwork
    images = dict(rows(clean_db, "SELECT track_id, image_url FROM tracks"))
    assert len(images) == 12 and {images[t] for t in bad_album_tracks} == {None}
    assert {url for t, url in images.items() if t not in bad_album_tracks} == {ALBUM_300}

    # a source without artwork (a dataset import of the same ids) never erases it
    later = SourceBatch(
        source="kaggle",
        artists=pd.DataFrame([{"artist_id": KATATONIA, "name": "Katatonia", "genre": "metal", "source": "kaggle"}]),
    )
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=later, run_id=None)
    assert rows(clean_db, "SELECT genre, image_url FROM artists WHERE artist_id = :a", a=KATATONIA) == [
        ("metal", ARTIST_300)
    ]


def test_a_watched_track_takes_its_albums_artwork(clean_db: Engine, sleeps: list[float]) -> None:
    with FakeSpotify({KATATONIA: "Katatonia"}, albums_per_artist=1) as server:
        track_id = next(iter(server.tracks))
        with clean_db.begin() as conn:
            add_watch(conn=conn, entity_type="track", spotify_id=track_id, name=None, added_by="test")
        run(clean_db, make_source(clean_db, server, sleeps), DAY)
    assert rows(clean_db, "SELECT image_url FROM tracks WHERE track_id = :t", t=track_id) == [(ALBUM_300,)]


def test_artwork_hosts_are_host_names_only() -> None:
    """The hosts go verbatim into the CSP: a setting smuggling a directive or a scheme is refused at start-up."""
    assert Settings(ARTWORK_HOSTS=" i.scdn.co , Images.Example.org ").ARTWORK_HOSTS  # valid: kept
    for bad in ("i.scdn.co; script-src *", "https://i.scdn.co", "*.scdn.co", "i.scdn.co 'unsafe-inline'"):
        with pytest.raises(ValidationError, match="ARTWORK_HOSTS: not a host name"):
            Settings(ARTWORK_HOSTS=bad)
