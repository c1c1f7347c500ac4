"""Links out to Spotify and Last.fm for an artist or a track, where its id is known.

Spotify: entities whose id is a Spotify id (22 base-62 characters: the spotify source, and dataset rows that
carry one). Last.fm addresses pages by name, so any real (non-demo) artist or track gets one. No source
stores artwork today, so there is none to show.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


def spotify_url(kind: str, entity_id: str) -> str | None:
    if kind not in ("artist", "track") or not _SPOTIFY_ID.fullmatch(entity_id or ""):
        return None
    return f"https://open.spotify.com/{kind}/{entity_id}"


def lastfm_url(artist_name: str | None, track_name: str | None = None, *, is_demo: bool = False) -> str | None:
    """The Last.fm page of an artist (or of one of its tracks); None for simulated demo entities."""
    if is_demo or not artist_name:
        return None
    url = f"https://www.last.fm/music/{quote_plus(artist_name)}"
    return f"{url}/_/{quote_plus(track_name)}" if track_name else url


def out_links(
    kind: str, entity_id: str, artist_name: str | None, track_name: str | None, *, is_demo: bool
) -> list[tuple[str, str]]:
    """[(label, url)] of the links that exist for this entity."""
    links = [
        ("Spotify", spotify_url(kind, entity_id)),
        ("Last.fm", lastfm_url(artist_name, track_name, is_demo=is_demo)),
    ]
    return [(label, url) for label, url in links if url]
