"""Links out to Spotify and Last.fm for an artist or a track, where its id is known.

Spotify: entities whose id is a Spotify id (22 base-62 characters: the spotify source, and dataset rows that
carry one). Last.fm addresses pages by name, so any real (non-demo) artist or track gets one.
Artwork: the image a source stored (today the spotify source, core/artwork.py), shown only when its URL is
https on ARTWORK_HOSTS (the hosts the CSP `img-src` allows); otherwise nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from dash import html

from core.artwork import safe_image_url

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
ARTWORK_PX = 96


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


def artwork(url: str | None, name: str, hosts: tuple[str, ...]) -> html.Img | None:
    """The entity's image at a fixed small size, alt text its name; None when there is no allowed one."""
    safe = safe_image_url(url, hosts)
    if safe is None:
        return None
    size = f"{ARTWORK_PX}px"
    return html.Img(
        src=safe, alt=name, width=ARTWORK_PX, height=ARTWORK_PX, className="artwork rounded me-3 flex-shrink-0",
        style={"width": size, "height": size, "objectFit": "cover"},
    )  # fmt: skip
