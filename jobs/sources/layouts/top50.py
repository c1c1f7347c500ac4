"""Daily Top-50 playlist files (`spotify-streaming-top-50-<market>.csv`): one row per (day, position).

No Spotify ids: tracks are matched on normalised (song, artist) and get `dataset:<hash>` ids; artists joined
with ` & ` are split. Popularity 0 marks a relinked or market-restricted version and is treated as missing.
Observations: `chart_position` and `spotify_popularity` on the row's `date`; the market is the file's series.
"""

from __future__ import annotations

from jobs.sources.layouts.common import (
    Layout,
    ParsedRow,
    Row,
    RowContext,
    boolean,
    dataset_id,
    day,
    integer,
    release_date,
    required,
    track_record,
)


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    observed_on = day(row, "date")
    song, artists = required(row, "song"), required(row, "artist")
    position = integer(row, "position")
    track_id = dataset_id("track", song, artists)
    parsed.tracks.append(
        track_record(
            track_id,
            song,
            release=release_date(row, "release_date"),
            duration_ms=integer(row, "duration_ms"),
            explicit=boolean(row, "is_explicit"),
        )
    )
    names = [name.strip() for name in artists.split(" & ") if name.strip()]
    ids = [dataset_id("artist", name) for name in names]
    for artist_id, name in zip(ids, names, strict=True):
        parsed.artist(artist_id, name)
    parsed.link(track_id, ids)
    parsed.observe("track", track_id, "chart_position", observed_on, position)
    popularity = integer(row, "popularity")
    if popularity == 0:
        parsed.notes.append("popularity 0 treated as missing")
        popularity = None
    parsed.observe("track", track_id, "spotify_popularity", observed_on, popularity)
    return parsed


LAYOUT = Layout(
    name="top50-daily",
    key_columns=("date", "position", "song", "artist", "popularity", "release_date"),
    parse_row=parse_row,
    description="daily Top-50 playlist file (date, position, song, artist, popularity)",
    optional_columns=("duration_ms", "is_explicit"),
    required_columns=("date", "position", "song", "artist"),
    artist_column="artist",
    track_column="song",
)
