"""Spotify Charts Top 200 (daily or weekly regional charts with stream counts and track ids).

Observations on the chart `date` (weekly files: the week's first day): `chart_position` (the rank) and
`chart_streams` (that day's or week's streams). Rows with an empty title or artist still give their
observations; the track row comes from another row of the same id where one has a name.
Artists are the chart's main-artist string (`dataset:<hash>` ids).
"""

from __future__ import annotations

from jobs.sources.layouts.common import (
    MISSING,
    Layout,
    ParsedRow,
    Row,
    RowContext,
    RowError,
    dataset_id,
    day,
    integer,
    spotify_id,
    text,
    track_record,
)


def parse_row(row: Row, context: RowContext) -> ParsedRow:
    parsed = ParsedRow()
    observed_on = day(row, "date")
    track_id = spotify_id(row, "track_id")
    if track_id is None:
        raise RowError("track_id is empty")
    rank = integer(row, "rank")
    streams = integer(row, "streams")
    if rank is None:
        raise RowError("rank is empty")
    name, artist_name = text(row, "track_name"), text(row, "artist", MISSING)
    parsed.tracks.append(track_record(track_id, name))
    if artist_name is not None:
        artist_id = dataset_id("artist", artist_name)
        parsed.artist(artist_id, artist_name)
        parsed.link(track_id, [artist_id])
    parsed.observe("track", track_id, "chart_position", observed_on, rank)
    parsed.observe("track", track_id, "chart_streams", observed_on, streams)
    return parsed


LAYOUT = Layout(
    name="spotify-charts",
    key_columns=("date", "region", "rank", "track_name", "artist", "streams", "track_id"),
    parse_row=parse_row,
    description="Spotify Charts Top 200, daily or weekly (date, region, rank, streams, track_id)",
    required_columns=("date", "rank", "track_id"),
    artist_column="artist",
    track_column="track_name",
)
