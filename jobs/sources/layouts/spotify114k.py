"""Kaggle "Spotify Tracks Dataset" (114k, `dataset.csv`): one row per (track, genre), `;`-joined artists.

No release dates and no artist ids (artists get `dataset:<hash>` ids). The first row of a track gives its
genre. Snapshot date: 2022-10-01, approximately when the dataset was collected; pass `--snapshot-date` to
use another.
"""

from __future__ import annotations

from datetime import date

from jobs.sources.layouts.common import (
    AUDIO_COLUMNS,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    boolean,
    dataset_id,
    genre,
    integer,
    required_spotify_id,
    text,
    track_record,
)


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    track_id = required_spotify_id(row, "track_id")
    track_genre = genre(text(row, "track_genre"))
    parsed.tracks.append(
        track_record(
            track_id,
            text(row, "track_name"),
            album=text(row, "album_name"),
            duration_ms=integer(row, "duration_ms"),
            explicit=boolean(row, "explicit"),
            genre_name=track_genre,
        )
    )
    names = [name.strip() for name in (text(row, "artists") or "").split(";") if name.strip()]
    ids = [dataset_id("artist", name) for name in names]
    for artist_id, name in zip(ids, names, strict=True):
        parsed.artist(artist_id, name, track_genre)
        if track_genre:
            parsed.artist_genres.append((artist_id, track_genre))
    parsed.link(track_id, ids)
    parsed.observe("track", track_id, "spotify_popularity", context.snapshot_date, integer(row, "popularity"))
    parsed.audio(row, track_id)
    return parsed


LAYOUT = Layout(
    rank=1,
    name="spotify-114k",
    key_columns=("track_id", "artists", "album_name", "track_name", "popularity", "track_genre"),
    parse_row=parse_row,
    description="Kaggle Spotify Tracks Dataset dataset.csv (114k tracks, one row per genre)",
    snapshot_date=date(2022, 10, 1),
    optional_columns=("duration_ms", "explicit", *AUDIO_COLUMNS),
    required_columns=("track_id",),
    artist_column="artists",
    track_column="track_name",
)
