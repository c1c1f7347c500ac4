"""Kaggle "Spotify Dataset 1921-2020, 600k+ Tracks": `tracks.csv` + `artists.csv` (the reader finds both).

Artist and track lists are Python-list strings; followers are floats; some artists of `tracks.csv` are missing
from `artists.csv` (they are created from the track's artist names). Popularity and followers were collected
around April 2021, the snapshot date used unless `--snapshot-date` says otherwise.
"""

from __future__ import annotations

import re
from datetime import date

from jobs.sources.layouts.common import (
    AUDIO_COLUMNS,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    RowError,
    boolean,
    genre,
    integer,
    number,
    release_date,
    required,
    required_spotify_id,
    string_list,
    text,
    track_record,
)

COLLECTED_ON = date(2021, 4, 1)
_ID_LIST = re.compile(r"[0-9A-Za-z]{22}")


def parse_track(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    track_id = required_spotify_id(row, "id")
    names, ids = string_list(row, "artists"), string_list(row, "id_artists")
    if len(names) != len(ids):
        raise RowError(f"artists has {len(names)} names but id_artists has {len(ids)} ids")
    if not all(_ID_LIST.fullmatch(artist_id) for artist_id in ids):
        raise RowError("id_artists holds a value that is not a Spotify id")
    parsed.tracks.append(
        track_record(
            track_id,
            text(row, "name"),
            release=release_date(row, "release_date"),
            duration_ms=integer(row, "duration_ms"),
            explicit=boolean(row, "explicit"),
        )
    )
    for artist_id, name in zip(ids, names, strict=True):
        parsed.artist(artist_id, name)
    parsed.link(track_id, ids)
    parsed.observe("track", track_id, "spotify_popularity", context.snapshot_date, integer(row, "popularity"))
    parsed.audio(row, track_id)
    return parsed


def parse_artist(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    artist_id = required_spotify_id(row, "id")
    genres = [g for g in (genre(item) for item in string_list(row, "genres")) if g]
    name = required(row, "name")
    parsed.artist(artist_id, name, genres[0] if genres else None)
    parsed.artist_genres.extend((artist_id, item) for item in genres)
    parsed.observe("artist", artist_id, "spotify_followers", context.snapshot_date, number(row, "followers"))
    parsed.observe("artist", artist_id, "spotify_popularity", context.snapshot_date, integer(row, "popularity"))
    return parsed


TRACKS = Layout(
    rank=1,
    name="spotify-600k",
    key_columns=("id", "name", "popularity", "artists", "id_artists", "release_date"),
    parse_row=parse_track,
    description="Kaggle 600k tracks.csv (its artists.csv next to it is imported first)",
    snapshot_date=COLLECTED_ON,
    optional_columns=("duration_ms", "explicit", *AUDIO_COLUMNS),
    required_columns=("id", "artists", "id_artists"),
)
ARTISTS = Layout(
    rank=0,
    name="spotify-600k-artists",
    key_columns=("id", "followers", "genres", "name", "popularity"),
    parse_row=parse_artist,
    description="Kaggle 600k artists.csv (followers, genres, popularity)",
    snapshot_date=COLLECTED_ON,
    required_columns=("id", "name"),
)
