"""Spotify references (URL, URI or bare 22-character id), shared by the CLI, the sources and the lookup page.

parse_reference("https://open.spotify.com/track/<id>?si=x")   # ("track", "<id>")
parse_reference("<id>", bare="track")                         # a bare id is a track for the lookup page
"""

from __future__ import annotations

import re

SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_REFERENCE = re.compile(
    r"^(?:spotify:(?P<uri_type>artist|track):(?P<uri_id>[0-9A-Za-z]{22})"
    r"|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?P<url_type>artist|track)/(?P<url_id>[0-9A-Za-z]{22})\S*"
    r"|(?P<bare_id>[0-9A-Za-z]{22}))$"
)


def parse_reference(reference: str, *, bare: str = "artist") -> tuple[str, str]:
    """(entity type, id) from a Spotify URL, URI or bare id (a bare id is of kind `bare`)."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        raise ValueError(
            f"not a Spotify artist or track: {reference!r} (expected https://open.spotify.com/artist/<id>,"
            " spotify:artist:<id> or the 22-character id)"
        )
    kind = match["uri_type"] or match["url_type"] or bare
    return kind, match["uri_id"] or match["url_id"] or match["bare_id"]
