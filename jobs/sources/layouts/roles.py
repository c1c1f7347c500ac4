"""The optional roles a column mapping may add to any layout: `market`, `artist_ids` and `track_id`.

They apply to a row after the layout has parsed it (see `jobs/sources/column_map.py`):
- `market`: the row's series becomes `<file series>:<market>`, so each market is its own time series;
- `track_id`: the track the layout built gets this id (a Spotify URI/URL gives its 22-character id);
- `artist_ids`: a list of ids in one cell (a JSON/Python list, or separated by `;`, `|`, `,` or spaces, or by
  the separator the mapping gives). With artist names in the file they must be as many as the names and
  are matched in order; without names the ids stand in for them (an artist is shown under its id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobs.sources.layouts.common import MISSING, ParsedRow, RowContext, RowError, own_id, string_list, text

_REFERENCE = re.compile(
    r"(?:spotify:(artist|track):|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(artist|track)/)"
    r"([0-9A-Za-z]{22})(?:\?\S*)?"
)
_MARKET = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}")
_SEPARATORS = (";", "|", ",")


@dataclass(frozen=True)
class Roles:
    """The file columns playing each role (None: not mapped)."""

    market: str | None = None
    artist_ids: str | None = None
    track_id: str | None = None
    separator: str | None = None
    names_given: bool = True  # the file has artist names (else `artist_ids` stands in for them)


def reference_id(value: str, kind: str, column: str) -> str:
    """The id in a Spotify URI or URL of `kind`, else the value as an id of the file's own."""
    match = _REFERENCE.fullmatch(value)
    if match is None:
        if value.startswith(("spotify:", "https://open.spotify.com/", "http://open.spotify.com/")):
            raise RowError(f"{column} is not a Spotify {kind} URI or URL: {value[:60]!r}")
        return own_id({column: value}, column) or ""
    found = match.group(1) or match.group(2)
    if found != kind:
        raise RowError(f"{column} holds a {found} reference, not a {kind}: {value[:60]!r}")
    return match.group(3)


def split_ids(value: str, column: str, separator: str | None) -> list[str]:
    """The ids listed in one cell, their separator given or detected."""
    if separator is None and value.startswith("["):
        parts = string_list({column: value}, column)
    else:
        found = separator or next((s for s in _SEPARATORS if s in value), None)
        parts = value.split(found) if found else value.split()
    return [reference_id(part.strip(), "artist", column) for part in parts if part.strip()]


def artist_ids(row: dict[str, str], roles: Roles) -> list[str]:
    if roles.artist_ids is None:
        return []
    return split_ids(text(row, roles.artist_ids, MISSING) or "", roles.artist_ids, roles.separator)


def rename(parsed: ParsedRow, kind: str, new_ids: dict[str, str]) -> None:
    """Give entities of `kind` ('artist' or 'track') new ids everywhere in the parsed row."""
    key = f"{kind}_id"
    records: list[list[dict[str, Any]]] = [parsed.artists] if kind == "artist" else [parsed.tracks]
    records += [parsed.track_artists] + ([] if kind == "artist" else [parsed.audio_features])
    for group in records:
        for record in group:
            record[key] = new_ids.get(record[key], record[key])
    for observation in parsed.observations:
        if observation["entity_type"] == kind:
            observation["entity_id"] = new_ids.get(observation["entity_id"], observation["entity_id"])
    if kind == "artist":
        parsed.artist_genres = [(new_ids.get(a, a), g) for a, g in parsed.artist_genres]


def apply_roles(parsed: ParsedRow, row: dict[str, str], roles: Roles, context: RowContext) -> None:
    """Apply the mapped roles to a row the layout has parsed (raises `RowError` for a bad role value)."""
    if roles.track_id is not None:
        value = text(row, roles.track_id, MISSING)
        tracks = list(dict.fromkeys(track["track_id"] for track in parsed.tracks))
        if value is not None and len(tracks) == 1:
            rename(parsed, "track", {tracks[0]: reference_id(value, "track", roles.track_id)})
    if roles.artist_ids is not None:
        _apply_artist_ids(parsed, artist_ids(row, roles), roles)
    if roles.market is not None:
        market = "-".join((text(row, roles.market, MISSING) or "").lower().split())
        if not _MARKET.fullmatch(market):
            raise RowError(f"{roles.market} is not a market name (letters, digits, '-', '_'): {market[:40]!r}")
        parsed.series = f"{parsed.series or context.series}:{market}"


def _apply_artist_ids(parsed: ParsedRow, ids: list[str], roles: Roles) -> None:
    linked = [link["artist_id"] for link in parsed.track_artists] or [a["artist_id"] for a in parsed.artists]
    before = list(dict.fromkeys(linked))
    if not ids:
        if not roles.names_given:
            raise RowError(f"{roles.artist_ids} is empty")
        return
    if roles.names_given:
        if len(before) != len(ids):
            raise RowError(f"{roles.artist_ids} lists {len(ids)} ids but the row names {len(before)} artists")
        rename(parsed, "artist", dict(zip(before, ids, strict=True)))
        return
    genre = parsed.artists[0]["genre"] if parsed.artists else None
    rename(parsed, "artist", dict.fromkeys(before, ids[0]))
    parsed.artists = [{"artist_id": artist_id, "name": artist_id, "genre": genre} for artist_id in dict.fromkeys(ids)]
    tracks = list(dict.fromkeys(track["track_id"] for track in parsed.tracks))
    parsed.track_artists = []
    for track_id in tracks:
        parsed.link(track_id, ids)
