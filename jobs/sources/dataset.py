"""The `dataset` source: stream a public dataset file (or a label's own snapshot CSV) into `SourceBatch`es.

    imported = read_dataset(Path("tracks.csv.gz"))        # layout detected from the header
    for batch in imported.batches: ...                     # chunks of `chunk_rows` rows, constant memory
    imported.report                                        # rows read/kept, rejected rows (line + why), notes

Files are read by `jobs/sources/csv_files.py` (plain or gzip, UTF-8 or UTF-16 with a BOM): line numbers are
exact even when a field spans several lines. A malformed row, or one with a value or date outside the bounds of
`jobs/sources/layouts/bounds.py` (checked here on every layout's output), is rejected with its line number and
reason; good rows are kept. A file of no known layout raises one `DataQualityError` naming every layout and its
key columns; `read_dataset(..., mapping=load_mapping(path))` reads files of other column names through a
mapping (`jobs/sources/column_map.py`). The layouts live in `jobs/sources/layouts/`. Run it with
`python -m jobs import PATH` (see `jobs/importer.py`).

Within one import a track, artist or (artist, genre) pair is emitted once, from its first row; the ids seen
are kept in memory (a few tens of MB for the full 600k-tracks set), everything else streams.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from jobs.errors import DataQualityError
from jobs.sources.base import (
    ARTIST_COLUMNS,
    ARTIST_GENRE_COLUMNS,
    AUDIO_FEATURE_COLUMNS,
    OBSERVATION_COLUMNS,
    TRACK_ARTIST_COLUMNS,
    TRACK_COLUMNS,
    DailySource,
    SourceBatch,
)
from jobs.sources.column_map import ColumnMap, mapped_layout
from jobs.sources.csv_files import file_stem, iter_rows, list_files, read_header
from jobs.sources.import_report import ImportReport
from jobs.sources.layouts import BY_NAME, LAYOUT_NAMES, detect, expected_layouts, spotify600k
from jobs.sources.layouts.bounds import check_day, check_row
from jobs.sources.layouts.common import Layout, ParsedRow, RowContext, RowError

logger = logging.getLogger(__name__)

SOURCE = "dataset"
CHUNK_ROWS = 20_000


@dataclass
class DatasetImport:
    """A resolved import: which files with which layouts. `batches` streams them (once)."""

    parts: list[tuple[Path, Layout]]
    snapshot_date: date | None
    chunk_rows: int = CHUNK_ROWS
    report: ImportReport = field(default_factory=ImportReport)
    today: date = field(default_factory=date.today)  # the bounds' "tomorrow" is counted from this day

    def __post_init__(self) -> None:
        self.report.parts = [(str(path), layout.name) for path, layout in self.parts]

    @property
    def layouts(self) -> list[str]:
        return [layout.name for _, layout in self.parts]

    @property
    def batches(self) -> Iterator[SourceBatch]:
        """The batches, read from the files now; reading them again re-reads the files and recounts."""
        return self._iterate()

    def _iterate(self) -> Iterator[SourceBatch]:
        self.report.reset()
        builder = _BatchBuilder(self.report)
        for path, layout in self.parts:
            yield from self._read_part(path, layout, builder)

    def _read_part(self, path: Path, layout: Layout, builder: _BatchBuilder) -> Iterator[SourceBatch]:
        context = RowContext(
            snapshot_date=self.snapshot_date or layout.snapshot_date or date.today(),
            series=f"{layout.name}:{file_stem(path)}",
        )
        if layout.prescan is not None:
            for _, row, _ in iter_rows(path):
                if row is not None:
                    layout.prescan(context.state, row)
        logger.info("reading %s as %s", path, layout.name)
        pending = 0
        for line, row, problem in iter_rows(path):
            self.report.rows_read += 1
            pending += 1
            if row is None:
                self.report.reject(path.name, line, problem or "unreadable row")
            else:
                self._parse(path, line, layout, row, context, builder)
            if pending >= self.chunk_rows:
                pending = 0
                yield builder.flush()
        if pending:
            yield builder.flush()

    def _parse(
        self,
        path: Path,
        line: int,
        layout: Layout,
        row: dict[str, str],
        context: RowContext,
        builder: _BatchBuilder,
    ) -> None:
        try:
            parsed = layout.parse_row(row, context)
            check_row(parsed, self.today)
        except RowError as error:
            self.report.reject(path.name, line, str(error))
            return
        if parsed.skip:
            self.report.rows_skipped += 1
            self.report.notes[parsed.skip] += 1
            return
        self.report.rows_kept += 1
        builder.add(parsed, parsed.series or context.series)


class _BatchBuilder:
    """Collects parsed rows into frames; emits each artist, track and (artist, genre) once per import."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.seen_artists: set[str] = set()
        self.seen_tracks: set[str] = set()
        self.seen_genres: set[tuple[str, str]] = set()
        self._reset()

    def _reset(self) -> None:
        self.artists: list[dict[str, Any]] = []
        self.tracks: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.genres: list[dict[str, str]] = []
        self.observations: list[dict[str, Any]] = []
        self.features: list[dict[str, Any]] = []

    def add(self, parsed: ParsedRow, series: str) -> None:
        for note in parsed.notes:
            self.report.notes[note] += 1
        for artist in parsed.artists:
            if artist["artist_id"] not in self.seen_artists:
                self.seen_artists.add(artist["artist_id"])
                self.artists.append({**artist, "source": SOURCE})
        new_tracks: set[str] = set()
        for track in parsed.tracks:
            if not track["name"]:
                self.report.notes["track row without a name (observations kept)"] += 1
            elif track["track_id"] in self.seen_tracks:
                self.report.notes["repeated track (first row's details kept)"] += 1
            else:
                self.seen_tracks.add(track["track_id"])
                new_tracks.add(track["track_id"])
                self.tracks.append({**track, "source": SOURCE})
        self.links.extend(
            link for link in parsed.track_artists
            if link["track_id"] in new_tracks and link["artist_id"] in self.seen_artists
        )  # fmt: skip
        self.features.extend(f for f in parsed.audio_features if f["track_id"] in new_tracks)
        for pair in parsed.artist_genres:
            if pair not in self.seen_genres and pair[0] in self.seen_artists:
                self.seen_genres.add(pair)
                self.genres.append({"artist_id": pair[0], "genre": pair[1]})
        source = f"{SOURCE}:{series}"
        self.observations.extend({**o, "source": source} for o in parsed.observations)

    def flush(self) -> SourceBatch:
        observations = pd.DataFrame(self.observations, columns=OBSERVATION_COLUMNS)
        key = ["entity_type", "entity_id", "metric", "observed_on", "source"]
        deduplicated = observations.drop_duplicates(subset=key, keep="first")
        if len(deduplicated) < len(observations):
            self.report.notes["repeated observation of one day (first kept)"] += len(observations) - len(deduplicated)
        self.report.observed(list(deduplicated["observed_on"]))
        batch = SourceBatch(
            source=SOURCE,
            artists=pd.DataFrame(self.artists, columns=ARTIST_COLUMNS),
            tracks=pd.DataFrame(self.tracks, columns=TRACK_COLUMNS),
            track_artists=pd.DataFrame(self.links, columns=TRACK_ARTIST_COLUMNS),
            artist_genres=pd.DataFrame(self.genres, columns=ARTIST_GENRE_COLUMNS),
            observations=deduplicated.reset_index(drop=True),
            audio_features=pd.DataFrame(self.features, columns=AUDIO_FEATURE_COLUMNS),
        )
        self._reset()
        return batch


def _resolve(path: Path, layout: str, mapping: ColumnMap | None) -> tuple[Path, Layout]:
    header = read_header(path)
    if mapping is not None:
        return path, mapped_layout(mapping, header, path)
    found = detect(header)
    if layout == "auto":
        if found is None:
            raise DataQualityError(
                f"{path}: unknown layout. Its columns are: {', '.join(header[:20])}"
                f"{' ...' if len(header) > 20 else ''}.\nExpected one of these layouts (name: key columns):\n"
                f"{expected_layouts()}"
            )
        return path, found
    if layout not in BY_NAME:
        raise DataQualityError(f"unknown layout {layout!r}; expected auto or one of: {', '.join(LAYOUT_NAMES)}")
    chosen = BY_NAME[layout]
    if layout == spotify600k.TRACKS.name and found is spotify600k.ARTISTS:
        chosen = found  # the pair is one layout for the user
    missing = [column for column in chosen.key_columns if column not in header]
    if missing:
        raise DataQualityError(f"{path}: not a {layout} file: missing columns {', '.join(missing)}")
    return path, chosen


def _with_pairs(parts: list[tuple[Path, Layout]]) -> list[tuple[Path, Layout]]:
    """Add the other half of a 600k tracks/artists pair found next to one half, then order the files: artist
    tables first, then track catalogues, then charts and snapshots (the first file to name an entity wins)."""
    names = {path.resolve() for path, _ in parts}
    halves = {spotify600k.TRACKS.name: spotify600k.ARTISTS, spotify600k.ARTISTS.name: spotify600k.TRACKS}
    extra: list[tuple[Path, Layout]] = []
    for path, layout in parts:
        other = halves.get(layout.name)
        if other is None:
            continue
        stem = "artists" if other is spotify600k.ARTISTS else "tracks"
        for candidate in (path.with_name(f"{stem}.csv"), path.with_name(f"{stem}.csv.gz")):
            if candidate.is_file() and candidate.resolve() not in names and other.matches(read_header(candidate)):
                extra.append((candidate, other))
                names.add(candidate.resolve())
    return sorted(parts + extra, key=lambda part: part[1].rank)


def read_dataset(
    path: Path,
    layout: str = "auto",
    *,
    snapshot_date: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    mapping: ColumnMap | None = None,
) -> DatasetImport:
    """Resolve `path` (a file or a directory of files) to layouts; `DataQualityError` if one is unknown.

    `snapshot_date` is the `observed_on` of single-snapshot tables (default: each layout's known collection
    date); time-series layouts take their dates from the rows. With a `mapping` (`jobs.sources.column_map`)
    every file is read through it, as the layout it names.
    """
    if mapping is not None and layout != "auto":
        raise DataQualityError(f"the mapping {mapping.path} names the layout; give --map or --layout, not both")
    today = date.today()
    try:
        check_day("--snapshot-date", snapshot_date, today)
    except RowError as error:
        raise DataQualityError(str(error)) from None
    parts = _with_pairs([_resolve(file, layout, mapping) for file in list_files(Path(path))])
    return DatasetImport(parts=parts, snapshot_date=snapshot_date, chunk_rows=chunk_rows, today=today)


class DatasetSource(DailySource):
    """The `dataset` source for a refresh: imports happen with `python -m jobs import`, so a refresh of this
    source extracts nothing and re-publishes what was imported, as of the run's date."""

    name = SOURCE
    is_demo = False

    def extract(self, snapshot_date: date) -> SourceBatch:
        return SourceBatch(source=SOURCE)
