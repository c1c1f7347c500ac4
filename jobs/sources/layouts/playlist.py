"""Playlist snapshots (`playlist_snapshots.csv`): repeated fetches of one playlist, each a `snapshot_time`.

Several snapshots can fall on one day: a first pass finds the last snapshot of each UTC day and only its rows
are kept (the others are reported as superseded, not as errors). Artist is the first artist only
(`dataset:<hash>` id). Observations: `chart_position` and `spotify_popularity` (0 = missing) on that day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobs.sources.layouts.common import (
    MISSING,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    RowError,
    dataset_id,
    integer,
    release_date,
    required,
    required_spotify_id,
    text,
    track_record,
)


def snapshot_time(row: Row) -> datetime:
    value = required(row, "snapshot_time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RowError(f"snapshot_time is not an ISO-8601 time: {value[:40]!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def prescan(state: dict[str, Any], row: Row) -> None:
    """Remember the latest snapshot time of each day (rows that fail here are reported by `parse_row`)."""
    try:
        moment = snapshot_time(row)
    except RowError:
        return
    latest = state.setdefault("latest", {})
    current = latest.get(moment.date())
    if current is None or moment > current:
        latest[moment.date()] = moment


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    moment = snapshot_time(row)
    track_id = required_spotify_id(row, "track_id")
    position = integer(row, "position")
    popularity = integer(row, "popularity")
    release = release_date(row, "release_date")
    latest = context.state.get("latest", {}).get(moment.date())
    if latest is not None and moment != latest:
        parsed.skip = "superseded by a later snapshot of the same day"
        return parsed
    parsed.tracks.append(
        track_record(track_id, text(row, "track_name"), album=text(row, "album_name"), release=release)
    )
    artist_name = text(row, "artist_name", MISSING)
    if artist_name is not None:
        artist_id = dataset_id("artist", artist_name)
        parsed.artist(artist_id, artist_name)
        parsed.link(track_id, [artist_id])
    parsed.observe("track", track_id, "chart_position", moment.date(), position)
    if popularity == 0:
        parsed.notes.append("popularity 0 treated as missing")
        popularity = None
    parsed.observe("track", track_id, "spotify_popularity", moment.date(), popularity)
    return parsed


LAYOUT = Layout(
    name="playlist-snapshots",
    key_columns=("snapshot_time", "position", "track_id", "track_name", "artist_name", "popularity"),
    parse_row=parse_row,
    description="playlist snapshots (snapshot_time, position, track_id, popularity; last snapshot per day)",
    prescan=prescan,
    optional_columns=("album_name", "release_date"),
    required_columns=("snapshot_time", "position", "track_id"),
    artist_column="artist_name",
    track_column="track_name",
)
