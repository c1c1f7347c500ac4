"""The row parsers under hostile input (hypothesis): they never crash, bad rows are reported with their line,
good rows are kept. Plus the value parsers on the real quirks (list strings, numpy arrays, date precision)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.sources.dataset import read_dataset
from jobs.sources.layouts import LAYOUTS
from jobs.sources.layouts.common import (
    AUDIO_COLUMNS,
    ParsedRow,
    RowContext,
    RowError,
    dataset_id,
    release_date,
    string_list,
)

# Every column any layout reads (so hostile text reaches every parser), plus the audio features.
EVERY_COLUMN = (
    "album album_name artist artist_genres artist_id artist_ids artist_name artists date duration_ms entity "
    "explicit followers genre genres id id_artists is_explicit isrc metric month name playlist_genre "
    "popularity position rank release_date snapshot_time song source spotify_track_album_release_date "
    "spotify_track_album_release_date_precision spotify_track_duration_ms spotify_track_explicit "
    "spotify_track_id streams track track_album_name track_album_release_date track_artist track_genre "
    "track_id track_name track_popularity value " + " ".join(AUDIO_COLUMNS)
).split()
CONTEXT = RowContext(snapshot_date=date(2024, 1, 1), series="test")
hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "NA", "nan", "[]", "['a' 'b']", '["x"]', "[", "2019", "2019-02-30", "1e999", "-1",
                     "0000", "True", "3KkXRkHbMCARz0aVfEt68P", "Jan 2000", "2025-05-03T01:43:52+00:00"]),
)  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_row_parsers_raise_only_row_errors(layout, data) -> None:  # type: ignore[no-untyped-def]
    row = {column: data.draw(hostile_text, label=column) for column in (*layout.key_columns, *EVERY_COLUMN)}
    try:
        parsed = layout.parse_row(row, CONTEXT)
    except RowError as error:
        assert str(error)
        return
    assert isinstance(parsed, ParsedRow)
    for observation in parsed.observations:
        assert observation["value"] == observation["value"]  # no NaN reaches the database
    for track in parsed.tracks:
        assert track["release_date_precision"] in (None, "day", "month", "year")


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20
).filter(lambda name: name.strip() == name and name)


@given(st.lists(names, max_size=5))
def test_python_list_strings_round_trip(values: list[str]) -> None:
    """`str(list)` is how the 600k files were written: quotes and commas inside names survive."""
    assert string_list({"a": str(values)}, "a") == values


@given(st.lists(names, max_size=5))
def test_json_lists_round_trip(values: list[str]) -> None:
    import json

    assert string_list({"a": json.dumps(values, ensure_ascii=False)}, "a") == [v for v in values if v.strip()]


def test_list_string_quirks() -> None:
    assert string_list({"g": "['french hip hop' 'rap conscient']"}, "g") == [
        "french hip hop",
        "rap conscient",
    ]
    assert string_list({"g": "['2019' '2019'\n '2018']"}, "g") == ["2019", "2019", "2018"]
    assert string_list({"a": "['gnash', \"Olivia O'Brien\"]"}, "a") == ["gnash", "Olivia O'Brien"]
    assert string_list({"a": "[]"}, "a") == [] == string_list({"a": ""}, "a")
    for bad in ("gnash", "['a', b]", "['unterminated]"):
        with pytest.raises(RowError):
            string_list({"a": bad}, "a")


def test_release_date_precision() -> None:
    assert release_date({"d": "2019"}, "d") == (date(2019, 1, 1), "year")
    assert release_date({"d": "2019-05"}, "d") == (date(2019, 5, 1), "month")
    assert release_date({"d": "2019-05-17"}, "d") == (date(2019, 5, 17), "day")
    assert release_date({"d": "NA"}, "d") == (None, None)
    for bad in ("0000", "2019-13", "2019-02-30", "May 2019"):
        with pytest.raises(RowError):
            release_date({"d": bad}, "d")


def test_dataset_ids_match_on_normalised_names() -> None:
    assert dataset_id("track", "Flowers ", "Miley  Cyrus") == dataset_id("track", "flowers", "MILEY CYRUS")
    assert dataset_id("track", "Flowers", "Miley Cyrus") != dataset_id("artist", "Flowers", "Miley Cyrus")
    assert dataset_id("artist", "Ｆｏｏ").startswith("dataset:")


good_rows = st.fixed_dictionaries(
    {
        "date": st.dates(date(2000, 1, 1), date(2025, 12, 31)).map(date.isoformat),  # within the bounds
        "artist": names.filter(lambda n: n.strip() and "\r" not in n),
        "metric": st.sampled_from(["spotify_popularity", "lastfm_listeners", "chart_streams"]),
        "value": st.integers(0, 100).map(str),  # within every one of these metrics' bounds
    }
)
bad_rows = st.fixed_dictionaries(
    {
        "date": st.text(max_size=12).filter(lambda t: "\r" not in t),
        "artist": st.text(max_size=12).filter(lambda t: "\r" not in t),
        "metric": st.text(max_size=12).filter(lambda t: "\r" not in t),
        "value": st.text(max_size=8).filter(lambda t: "\r" not in t).map(lambda t: "x" + t),  # never a number
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.booleans(), good_rows, bad_rows), min_size=1, max_size=30))
def test_reader_keeps_good_rows_and_reports_bad_ones_by_line(tmp_path: Path, rows) -> None:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "artist", "metric", "value"])
    expected_bad, line = [], 2
    for is_good, good, bad in rows:
        row = good if is_good else bad
        fields = [row["date"], row["artist"], row["metric"], row["value"]]
        writer.writerow(fields)
        if not is_good:
            expected_bad.append(line)
        line += 1 + sum(field.count("\n") for field in fields)
    path = tmp_path / "hostile.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    imported = read_dataset(path, "snapshots", chunk_rows=7)
    kept = sum(len(batch.observations) for batch in imported.batches)
    report = imported.report
    assert [r.line for r in report.rejected] == expected_bad
    assert report.rows_kept == sum(1 for is_good, _, _ in rows if is_good)
    assert kept <= report.rows_kept  # one value per entity, metric and day: repeated keys keep the first


def test_invalid_utf8_and_nul_bytes_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"date,artist,metric,value\n2024-01-01,A,m,1\n2024-01-01,B\xff\xfe,m,2\n2024-01-01,C\x00,m,3\n2024-01-02,D,m,4\n"
    )
    imported = read_dataset(path)
    list(imported.batches)
    assert [(r.line, r.reason) for r in imported.report.rejected][:1] == [(3, "not valid UTF-8")]
    assert imported.report.rows_kept >= 2  # A and D, whatever the csv module makes of the NUL byte


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400))
def test_reader_survives_arbitrary_bytes(tmp_path: Path, body: bytes) -> None:
    """Any bytes after a valid header: every row is either kept or reported, and nothing else is raised."""
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"date,artist,metric,value\n" + body)
    imported = read_dataset(path)
    list(imported.batches)
    report = imported.report
    assert report.rows_read == report.rows_kept + report.rows_rejected
    assert all(r.line >= 2 and r.reason for r in report.rejected)


def test_reading_batches_twice_gives_the_same_report(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("date,artist,metric,value\n2024-01-01,A,m,1\n2024-01-01,B,m,x\n")
    imported = read_dataset(path)
    report = imported.report
    first = [len(b.observations) for b in imported.batches]
    second = [len(b.observations) for b in imported.batches]
    assert first == second == [1]
    assert report is imported.report and (report.rows_read, report.rows_kept, report.rows_rejected) == (
        2,
        1,
        1,
    )
    assert [r.line for r in report.rejected] == [3]
