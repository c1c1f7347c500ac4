"""The generic `snapshots` layout: one metric value per row, for a label's own DSP reports or a licensed feed.

Required columns: `date` (YYYY-MM-DD), `artist`, `metric` (lower_snake_case, e.g. `spotify_popularity`,
`lastfm_listeners`, `chart_streams`), `value` (a number). Optional: `track` (then the row is about the track),
`entity` (`artist` or `track`, to say so explicitly), `artist_id`, `track_id` (Spotify ids or your own),
`isrc`, `album`, `release_date` (YYYY, YYYY-MM or YYYY-MM-DD), `genre`, `duration_ms`, `source` (a name for
the feed, e.g. `apple_music`; the observation source becomes `dataset:<source>`).
Without ids, artists are matched on their normalised name and tracks on ISRC, else on (track, artist).
"""

from __future__ import annotations

import re

from jobs.sources.layouts.common import (
    Layout,
    ParsedRow,
    Row,
    RowContext,
    RowError,
    dataset_id,
    day,
    genre,
    integer,
    metric_name,
    number,
    own_id,
    release_date,
    required,
    text,
    track_record,
)

_SOURCE = re.compile(r"[a-z][a-z0-9_-]{0,40}")


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    observed_on = day(row, "date")
    artist_name = required(row, "artist")
    metric = metric_name(required(row, "metric"))
    value = number(row, "value")
    if value is None:
        raise RowError("value is empty")
    track_name = text(row, "track")
    entity = (text(row, "entity") or ("track" if track_name else "artist")).lower()
    if entity not in ("artist", "track"):
        raise RowError(f"entity must be 'artist' or 'track': {entity[:40]!r}")
    if entity == "track" and track_name is None:
        raise RowError("entity is 'track' but track is empty")
    feed = text(row, "source")
    if feed is not None and not _SOURCE.fullmatch(feed):
        raise RowError(f"source must be lower-case letters, digits, '_' or '-': {feed[:40]!r}")
    parsed.series = feed
    artist_id = own_id(row, "artist_id") or dataset_id("artist", artist_name)
    artist_genre = genre(text(row, "genre"))
    parsed.artist(artist_id, artist_name, artist_genre)
    if artist_genre:
        parsed.artist_genres.append((artist_id, artist_genre))
    if track_name is None:
        parsed.observe("artist", artist_id, metric, observed_on, value)
        return parsed
    isrc = text(row, "isrc")
    track_id = own_id(row, "track_id") or (dataset_id("isrc", isrc) if isrc else None)
    track_id = track_id or dataset_id("track", track_name, artist_name)
    parsed.tracks.append(
        track_record(
            track_id,
            track_name,
            album=text(row, "album"),
            release=release_date(row, "release_date"),
            duration_ms=integer(row, "duration_ms"),
            isrc=isrc,
            genre_name=artist_genre,
        )
    )
    parsed.link(track_id, [artist_id])
    parsed.observe(entity, track_id if entity == "track" else artist_id, metric, observed_on, value)
    return parsed


LAYOUT = Layout(
    name="snapshots",
    key_columns=("date", "artist", "metric", "value"),
    parse_row=parse_row,
    description="generic snapshots: date, artist, metric, value [, track, artist_id, track_id, isrc, ...]",
    optional_columns=(
        "track",
        "entity",
        "artist_id",
        "track_id",
        "isrc",
        "album",
        "release_date",
        "genre",
        "duration_ms",
        "source",
    ),
    artist_column="artist",
)
