"""pezon/music-mining: `tracks.csv`, `artist_summary.csv` and `song_chart_by_month.csv` (three layouts).

- `music-mining`: one row per Spotify track; `artist_ids` is JSON, `artists` is `, `-joined text (names with
  a comma make the two disagree: then only the first artist is linked, and the row is noted).
- `music-mining-artists`: one row per artist; `genres` is a numpy-array string (`['a' 'b']`), and some
  fields span several lines inside quotes.
- `music-mining-charts`: chart2000.com monthly top 50, `chart_position` on the first day of the month;
  rows without a Spotify track id are matched on (song, artist). The charted artist credit is kept as its own
  artist (`dataset:<hash>`), since it is an aggregate chart's credit, not a Spotify artist.
Popularity was collected around March 2022: snapshot date 2022-03-18 (the source commit).
"""

from __future__ import annotations

from datetime import date

from jobs.sources.layouts.common import (
    AUDIO_COLUMNS,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    RowError,
    boolean,
    dataset_id,
    genre,
    integer,
    release_date,
    required,
    required_spotify_id,
    spotify_id,
    string_list,
    text,
    track_record,
)

COLLECTED_ON = date(2022, 3, 18)
_COARSENESS = {"day": 0, "month": 1, "year": 2}
_MONTHS = {
    name: index
    for index, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}


def parse_track(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    track_id = required_spotify_id(row, "id")
    ids = string_list(row, "artist_ids")
    names = [name.strip() for name in (text(row, "artists") or "").split(", ") if name.strip()]
    if len(ids) != len(names):
        parsed.notes.append("artists and artist_ids disagree: first artist linked only")
        keep = min(len(ids), len(names), 1)
        ids, names = ids[:keep], names[:keep]
    coarse = genre(text(row, "genre"))
    parsed.tracks.append(
        track_record(
            track_id,
            text(row, "name"),
            album=text(row, "album"),
            release=release_date(row, "release_date"),
            duration_ms=integer(row, "duration_ms"),
            explicit=boolean(row, "explicit"),
            isrc=text(row, "isrc"),
            genre_name=None if coarse == "other" else coarse,
        )
    )
    genres = [g for g in (genre(item) for item in string_list(row, "artist_genres")) if g]
    for artist_id, name in zip(ids, names, strict=True):
        parsed.artist(artist_id, name, genres[0] if genres and len(ids) == 1 else None)
    if len(ids) == 1:
        parsed.artist_genres.extend((ids[0], item) for item in dict.fromkeys(genres))
    parsed.link(track_id, ids)
    parsed.observe("track", track_id, "spotify_popularity", context.snapshot_date, integer(row, "popularity"))
    parsed.audio(row, track_id)
    return parsed


def parse_artist(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    artist_id = spotify_id(row, "id") or spotify_id(row, "artist_id")
    if artist_id is None:
        raise RowError("id is empty")
    genres = [g for g in (genre(item) for item in string_list(row, "genres")) if g]
    parsed.artist(artist_id, required(row, "name"), genres[0] if genres else None)
    parsed.artist_genres.extend((artist_id, item) for item in dict.fromkeys(genres))
    parsed.observe("artist", artist_id, "spotify_popularity", context.snapshot_date, integer(row, "popularity"))
    return parsed


def chart_month(row: Row) -> date:
    value = required(row, "month")
    parts = value.split()
    if len(parts) != 2 or parts[0][:3].title() not in _MONTHS or not parts[1].isdigit() or len(parts[1]) != 4:
        raise RowError(f"month is not like 'Jan 2000': {value[:40]!r}")
    return date(int(parts[1]), _MONTHS[parts[0][:3].title()], 1)


def parse_chart(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    observed_on = chart_month(row)
    song, artist_name = required(row, "song"), required(row, "artist")
    position = integer(row, "position")
    track_id = spotify_id(row, "spotify_track_id") or dataset_id("track", song, artist_name)
    release, precision = release_date(row, "spotify_track_album_release_date")
    stated = text(row, "spotify_track_album_release_date_precision")
    if release is not None and precision is not None and stated in _COARSENESS:
        precision = max(precision, stated, key=_COARSENESS.__getitem__)  # a stated coarser precision wins
    parsed.tracks.append(
        track_record(
            track_id,
            song,
            release=(release, precision),
            duration_ms=integer(row, "spotify_track_duration_ms"),
            explicit=boolean(row, "spotify_track_explicit"),
        )
    )
    artist_id = dataset_id("artist", artist_name)
    parsed.artist(artist_id, artist_name)
    parsed.link(track_id, [artist_id])
    parsed.observe("track", track_id, "chart_position", observed_on, position)
    return parsed


TRACKS = Layout(
    rank=1,
    name="music-mining",
    key_columns=("id", "name", "album", "artists", "artist_ids", "isrc", "release_date", "popularity"),
    parse_row=parse_track,
    description="music-mining tracks.csv (tracks, ISRC, popularity, audio features, artist genres)",
    snapshot_date=COLLECTED_ON,
    optional_columns=("duration_ms", "explicit", "genre", "artist_genres", *AUDIO_COLUMNS),
    required_columns=("id", "artists", "artist_ids"),
)
ARTISTS = Layout(
    rank=0,
    name="music-mining-artists",
    key_columns=("id", "artist_id", "name", "popularity", "genres"),
    parse_row=parse_artist,
    description="music-mining artist_summary.csv (artist popularity and genres)",
    snapshot_date=COLLECTED_ON,
    required_columns=("name",),
)
CHARTS = Layout(
    name="music-mining-charts",
    key_columns=("month", "position", "artist", "song", "spotify_track_id"),
    parse_row=parse_chart,
    description="music-mining song_chart_by_month.csv (chart2000 monthly positions)",
    optional_columns=(
        "spotify_track_album_release_date",
        "spotify_track_album_release_date_precision",
        "spotify_track_duration_ms",
        "spotify_track_explicit",
    ),
    required_columns=("month", "position", "artist", "song"),
    artist_column="artist",
    track_column="song",
)
