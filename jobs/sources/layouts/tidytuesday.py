"""TidyTuesday 2020-01-21 `spotify_songs.csv`: one row per (track, playlist); `NA` marks missing values.

The same track appears under several playlist genres: the first row of a track gives its genre (the reader
keeps the first), later rows only add (artist, genre) pairs. There is no artist id, so artists get
`dataset:<hash>` ids from their normalised name. Snapshot date: 2020-01-21 (the TidyTuesday publication).
"""

from __future__ import annotations

from datetime import date

from jobs.sources.layouts.common import (
    AUDIO_COLUMNS,
    MISSING,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    dataset_id,
    genre,
    integer,
    release_date,
    required_spotify_id,
    text,
    track_record,
)


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    track_id = required_spotify_id(row, "track_id")
    track_genre = genre(text(row, "playlist_genre", MISSING))
    artist_name = text(row, "track_artist", MISSING)
    parsed.tracks.append(
        track_record(
            track_id,
            text(row, "track_name", MISSING),
            album=text(row, "track_album_name", MISSING),
            release=release_date(row, "track_album_release_date"),
            duration_ms=integer(row, "duration_ms"),
            genre_name=track_genre,
        )
    )
    if artist_name is not None:
        artist_id = dataset_id("artist", artist_name)
        parsed.artist(artist_id, artist_name, track_genre)
        parsed.link(track_id, [artist_id])
        if track_genre:
            parsed.artist_genres.append((artist_id, track_genre))
    parsed.observe(
        "track",
        track_id,
        "spotify_popularity",
        context.snapshot_date,
        integer(row, "track_popularity"),
    )
    parsed.audio(row, track_id)
    return parsed


LAYOUT = Layout(
    rank=1,
    name="tidytuesday",
    key_columns=(
        "track_id",
        "track_name",
        "track_artist",
        "track_popularity",
        "track_album_release_date",
        "playlist_genre",
    ),
    parse_row=parse_row,
    description="TidyTuesday spotify_songs.csv (tracks, popularity, playlist genre, audio features)",
    snapshot_date=date(2020, 1, 21),
    optional_columns=("track_album_name", "duration_ms", *AUDIO_COLUMNS),
    required_columns=("track_id",),
    artist_column="track_artist",
    track_column="track_name",
)
