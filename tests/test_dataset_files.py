"""Every real file in ../shared/data imports, with the counts its README states (skipped when it is absent).

The reader is checked on every file (no database: fast); `test_dataset_import.py` loads some into PostgreSQL.
Numbers in the asserts come from ../shared/data/README.md unless a comment says otherwise.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from jobs.sources.dataset import DatasetImport, read_dataset

pytestmark = pytest.mark.shared_data


ObservationKey = tuple[str, date, str]  # (entity id, observed_on, source)
MARKETS = ["argentina", "france", "italy", "japan", "mexico", "south-korea", "spain", "uk", "usa", "world"]


@dataclass
class Summary:
    """What an import produced, gathered from its batches."""

    imported: DatasetImport
    artists: set[str] = field(default_factory=set)
    tracks: dict[str, dict] = field(default_factory=dict)
    links: int = 0
    features: int = 0
    observations: dict[str, dict[ObservationKey, float]] = field(default_factory=lambda: defaultdict(dict))

    def observed(self, metric: str) -> dict[ObservationKey, float]:
        return self.observations[metric]

    def days(self, metric: str) -> set[date]:
        return {day for _, day, _ in self.observed(metric)}

    def entities(self, metric: str) -> set[str]:
        return {entity for entity, _, _ in self.observed(metric)}


_NOTES: dict[Path, Counter[str]] = {}  # report notes of files already read, so no test reads a file twice


def summarise(path: Path) -> Summary:
    imported = read_dataset(path)
    _NOTES[path] = imported.report.notes
    summary = Summary(imported)
    for batch in imported.batches:
        summary.artists.update(batch.artists["artist_id"])
        for track in batch.tracks.to_dict("records"):
            assert track["track_id"] not in summary.tracks, "a track is emitted once per import"
            summary.tracks[track["track_id"]] = track
        summary.links += len(batch.track_artists)
        summary.features += len(batch.audio_features)
        for row in batch.observations.itertuples():
            key = (row.entity_id, row.observed_on, row.source)
            summary.observations[row.metric].setdefault(key, row.value)  # the database keeps the first too
    return summary


def precisions(summary: Summary) -> Counter[str]:
    return Counter(track["release_date_precision"] for track in summary.tracks.values())


def test_spotify_600k_pair_from_either_file(shared_data: Path) -> None:
    folder = shared_data / "spotify-600k-sample"
    summary = summarise(folder / "tracks.csv.gz")
    report = summary.imported.report
    assert summary.imported.layouts == ["spotify-600k-artists", "spotify-600k"]  # the pair, artists first
    assert read_dataset(folder / "artists.csv.gz").layouts == summary.imported.layouts
    assert (report.rows_read, report.rows_rejected) == (484 + 1_595, 0)
    assert len(summary.tracks) == 1_595
    assert len(summary.artists) == 708  # 484 from artists.csv + the 224 only tracks.csv names
    assert len(summary.observed("spotify_followers")) == 484
    followers = summary.observed("spotify_followers")
    source = "dataset:spotify-600k-artists:artists"
    assert followers[("6LArUyIoMiHmDvvOAsE2cd", date(2021, 4, 1), source)] == 376_805  # float "376805.0"
    assert len(summary.observed("spotify_popularity")) == 484 + 1_595
    assert precisions(summary) == {"day": 1_573, "year": 20, "month": 2}
    white_christmas = summary.tracks["4so0Wek9Ig1p6CRCHuINwW"]
    assert white_christmas["name"] == "White Christmas"
    assert summary.features == 1_595


def summary_source(summary: Summary, metric: str) -> str:
    (source,) = {source for _, _, source in summary.observed(metric)}
    return source


def test_tidytuesday(shared_data: Path) -> None:
    summary = summarise(shared_data / "tidytuesday-spotify-songs" / "spotify_songs.csv.gz")
    report = summary.imported.report
    assert summary.imported.layouts == ["tidytuesday"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (32_833, 32_833, 0)
    # 28,356 distinct track ids: each gets one popularity observation (the first row of a repeated track)
    assert len(summary.entities("spotify_popularity")) == 28_356
    assert summary.days("spotify_popularity") == {date(2020, 1, 21)}
    assert report.notes["track row without a name (observations kept)"] == 5  # `NA` names in 5 rows
    named = 28_356 - len(summary.entities("spotify_popularity") - set(summary.tracks))
    assert len(summary.tracks) == named and named >= 28_356 - 5
    assert {t["genre"] for t in summary.tracks.values()} <= {"edm", "rap", "pop", "r&b", "latin", "rock"}
    assert set(precisions(summary)) == {"day", "month", "year"}


@pytest.mark.parametrize("market", MARKETS)
def test_top50_daily(shared_data: Path, market: str) -> None:
    summary = summarise(shared_data / "spotify-top50-daily" / f"spotify-streaming-top-50-{market}.csv.gz")
    report = summary.imported.report
    assert summary.imported.layouts == ["top50-daily"]
    assert report.rows_read == 27_800
    if market == "france":
        # found by the importer (the README does not list it): an empty title, popularity 0, duration 0
        assert [(r.line, r.reason) for r in report.rejected] == [(13_003, "song is empty")]
    else:
        assert report.rows_rejected == 0
    days = summary.days("chart_position")
    assert len(days) == 556 and (min(days), max(days)) == (date(2023, 5, 18), date(2024, 11, 27))
    assert not days & {date(2024, 3, 14), date(2024, 3, 25), date(2024, 7, 11), date(2024, 8, 13)}
    assert all(track_id.startswith("dataset:") for track_id in summary.tracks)
    assert set(summary.observed("chart_position").values()) == set(map(float, range(1, 51)))
    assert 0.0 not in set(summary.observed("spotify_popularity").values())  # 0 = missing


def test_top50_zero_popularity_is_missing(shared_data: Path) -> None:
    notes = sum(
        read_notes(path)["popularity 0 treated as missing"]
        for path in sorted((shared_data / "spotify-top50-daily").glob("*.csv.gz"))
    )
    assert notes == 1_077 - 1  # 1,077 zero rows; the one rejected France row is one of them


def read_notes(path: Path) -> Counter[str]:
    if path in _NOTES:
        return _NOTES[path]
    imported = read_dataset(path)
    for _ in imported.batches:
        pass
    return imported.report.notes


def test_playlist_snapshots_keep_the_last_snapshot_of_each_day(shared_data: Path) -> None:
    summary = summarise(shared_data / "spotify-playlist-snapshots" / "playlist_snapshots.csv.gz")
    report = summary.imported.report
    assert (report.rows_read, report.rows_rejected) == (65_200, 0)
    # 340 snapshots on 337 days: 3 superseded snapshots of 100 or 200 rows each
    assert report.rows_skipped in (300, 400, 500, 600)
    assert report.rows_kept == 65_200 - report.rows_skipped
    assert len(summary.days("chart_position")) == 337
    assert len(summary.tracks) == 837
    positions: dict[date, list[float]] = defaultdict(list)
    for (_, day, _), position in summary.observed("chart_position").items():
        positions[day].append(position)
    for day, kept in positions.items():  # exactly one snapshot per day: positions 1..N once each
        assert sorted(kept) == list(map(float, range(1, len(kept) + 1))), day
        assert len(kept) in (100, 200), day


CHARTS = {
    # file: (rows, charts, first, last)
    "global-daily": (89_200, 446, date(2017, 1, 1), date(2018, 3, 26)),
    "gb-daily": (73_000, 365, date(2019, 1, 1), date(2019, 12, 31)),
    # Weekly charts are dated at the week's end (`week_end`): as of d, no stream after d is visible.
    "global-weekly": (10_800, 54, date(2019, 1, 4), date(2020, 1, 10)),
    "us-weekly": (20_600, 103, date(2019, 1, 4), date(2020, 12, 18)),
    "gb-weekly": (10_800, 54, date(2019, 1, 4), date(2020, 1, 10)),
    "au-weekly": (10_800, 54, date(2019, 1, 4), date(2020, 1, 10)),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_spotify_charts(shared_data: Path, name: str) -> None:
    rows, charts, first, last = CHARTS[name]
    summary = summarise(shared_data / "spotify-charts" / f"{name}.csv.gz")
    report = summary.imported.report
    assert summary.imported.layouts == ["spotify-charts"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (rows, rows, 0)
    assert len(summary.observed("chart_position")) == rows == len(summary.observed("chart_streams"))
    days = summary.days("chart_streams")
    assert (len(days), min(days), max(days)) == (charts, first, last)
    assert set(summary.observed("chart_position").values()) == set(map(float, range(1, 201)))
    assert summary_source(summary, "chart_streams") == f"dataset:spotify-charts:{name}"
    if name == "global-daily":
        assert report.notes["track row without a name (observations kept)"] == 16
        assert not days & {date(2017, 2, 23), date(2017, 5, 30), date(2017, 5, 31), date(2017, 6, 2)}


def test_music_mining_directory(shared_data: Path) -> None:
    summary = summarise(shared_data / "music-mining")
    report = summary.imported.report
    assert summary.imported.layouts == ["music-mining-artists", "music-mining", "music-mining-charts"]
    assert (report.rows_read, report.rows_rejected) == (8_098 + 14_967 + 12_900, 0)
    popularity = summary.observed("spotify_popularity")
    assert len({e for e, _, s in popularity if s.endswith("tracks")}) == 14_967
    assert len({e for e, _, s in popularity if s.endswith("artist_summary")}) == 8_098
    months = summary.days("chart_position")
    assert (len(months), min(months), max(months)) == (258, date(2000, 1, 1), date(2021, 6, 1))
    assert len([t for t in summary.tracks.values() if t["isrc"]]) > 14_900  # ISRC kept (a few rows lack one)


def test_music_mining_tracks_release_precision(shared_data: Path) -> None:
    summary = summarise(shared_data / "music-mining" / "tracks.csv.gz")
    assert summary.imported.report.notes["track row without a name (observations kept)"] == 1
    # 14,439 full dates and 528 year-only; the one unnamed track (a full date) has no track row
    assert precisions(summary) == {"day": 14_439 - 1, "year": 528}
