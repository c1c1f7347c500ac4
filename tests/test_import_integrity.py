"""What no imported file may do to what users see: rewind the publication, move it on a few rows or outside
the bounds, leave half a file behind, or fail with a traceback. Each test drives the real importer (or CLI)
against PostgreSQL; `test_huge_line_is_rejected_in_bounded_memory` measures peak RSS in a subprocess.
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.settings import get_settings
from jobs import lock, pipeline
from jobs.cli import main
from jobs.errors import DataQualityError
from jobs.importer import import_now
from jobs.pipeline import RunConfig
from jobs.sources.dataset import read_dataset
from tests.factories import DAY, config, tiny_source

HEADER = "date,artist,artist_id,track,metric,value\n"
TOMORROW = date.today() + timedelta(days=1)


def snapshots(days: list[date], n_artists: int = 10, *, name: str = "Artist") -> str:
    """A `snapshots` file: each artist's popularity on each day (tracks `t<i>`, artist ids `a<i>`)."""
    rows = [
        f"{day},{name} {i},a{i},Track {i},spotify_popularity,{(i * 7 + day.toordinal()) % 90 + 1}\n"
        for day in days for i in range(n_artists)
    ]  # fmt: skip
    return HEADER + "".join(rows)


def span(first: date, n: int) -> list[date]:
    return [first + timedelta(days=k) for k in range(n)]


def fingerprint(engine: Engine) -> dict[str, str]:
    """md5 of each table's ordered rows, for every table but the run log (which records the failed run)."""
    with engine.connect() as conn:
        tables = [
            t for (t,) in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            if t not in ("job_runs", "schema_migrations")
        ]  # fmt: skip
        sql = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
        return {table: conn.execute(text(sql.format(table))).scalar_one() for table in sorted(tables)}


def publications(engine: Engine) -> list[tuple[int, date]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(text("SELECT publication_id, snapshot_date FROM publications ORDER BY 1"))
        ]


def run_import(engine: Engine, path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_now(engine, path, layout="auto", snapshot_date=None, config=RunConfig(), user="t", **kwargs)


def test_no_row_file_or_reimport_moves_the_publication_backwards_or_out_of_bounds(
    clean_db: Engine, tmp_path: Path
) -> None:
    newer, older, hostile, mostly_old = (tmp_path / f"{n}.csv" for n in ("newer", "older", "hostile", "mostly_old"))
    newer.write_text(snapshots(span(date(2024, 5, 8), 3)))
    run_import(clean_db, newer)
    assert publications(clean_db)[-1][1] == date(2024, 5, 10)

    older.write_text(snapshots(span(date(2024, 5, 1), 5)))
    run_import(clean_db, older)  # back-fills history: republished (rows changed) as of the current date
    assert [d for _, d in publications(clean_db)] == [date(2024, 5, 10), date(2024, 5, 10)]

    kept = publications(clean_db)
    again = run_import(clean_db, older)  # nothing changed: nothing republished, nothing pruned
    assert sum(again.loaded.values()) == 0 and publications(clean_db) == kept

    hostile.write_text(
        snapshots([date(2024, 5, 9)], 3, name="Other")
        + "2099-01-01,Other 0,a0,Track 0,spotify_popularity,50\n"  # line 5: far future
        + "1850-06-01,Other 0,a0,Track 0,spotify_popularity,50\n"  # line 6: before 1900
        + "2024-05-09,Other 1,a1,Track 1,spotify_popularity,1e12\n"  # line 7: popularity of a trillion
        + "2024-05-09,Other 2,a2,Track 2,spotify_followers,-3\n"  # line 8: negative count
    )
    report = run_import(clean_db, hostile).report
    assert [(r.line, r.reason.split(" out of bounds")[0]) for r in report.rejected] == [
        (5, "observed_on"), (6, "observed_on"), (7, "spotify_popularity"), (8, "spotify_followers"),
    ]  # fmt: skip
    assert publications(clean_db)[-1][1] == date(2024, 5, 10)

    # Mostly newer days, plus two rows dated tomorrow: those load, but the publication moves to the last
    # well-covered day, not to tomorrow.
    mostly_old.write_text(
        snapshots(span(date(2024, 5, 11), 2))
        + f"{TOMORROW},Artist 0,a0,Track 0,spotify_popularity,99\n"
        + f"{TOMORROW},Artist 1,a1,Track 1,spotify_popularity,99\n"
    )
    outcome = run_import(clean_db, mostly_old)
    assert outcome.report.rows_rejected == 0 and outcome.report.last_observed_on == TOMORROW
    assert publications(clean_db)[-1][1] == date(2024, 5, 12)
    dates = [d for _, d in publications(clean_db)]
    assert dates == sorted(dates) and all(date(1900, 1, 1) <= d <= TOMORROW for d in dates)


def test_a_refresh_of_an_older_date_backfills_without_rewinding(clean_db: Engine) -> None:
    source = tiny_source()
    with lock.exclusive_run(clean_db):
        pipeline.backfill(clean_db, source, end_date=DAY, days=3, trigger="cli", requested_by="t", config=config())
        older = pipeline.refresh(
            clean_db, source, snapshot_date=DAY - timedelta(days=10), trigger="cli", requested_by="t", config=config()
        )
        assert sum(older.loaded.values()) > 0
        assert [d for _, d in publications(clean_db)] == [DAY, DAY]  # history back-filled, date kept
        with pytest.raises(DataQualityError, match="outside \\[1900-01-01, "):
            pipeline.refresh(
                clean_db, source, snapshot_date=TOMORROW + timedelta(days=1), trigger="cli", requested_by="t",
                config=config(),
            )  # fmt: skip
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_runs")).scalar() == 2  # refused before any run


def _cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str) -> int:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    handlers = logging.getLogger().handlers[:]
    try:
        return main(list(argv))
    finally:
        get_settings.cache_clear()
        logging.getLogger().handlers[:] = handlers  # the CLI's handler writes to this test's captured stderr


def test_a_file_that_breaks_part_way_leaves_every_table_byte_identical(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.csv"
    base.write_text(snapshots(span(date(2024, 5, 1), 3)))
    run_import(clean_db, base)
    before = fingerprint(clean_db)
    # The same artists renamed, over many more days, gzipped and cut short: read in chunks of 100 rows, its
    # first chunks parse fine before the gzip stream ends early.
    payload = gzip.compress(snapshots(span(date(2024, 5, 1), 300), name="Renamed").encode())
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(payload[: len(payload) * 2 // 3])
    assert _cli(clean_db, monkeypatch, "import", str(broken), IMPORT_CHUNK_ROWS="100") == 1
    err = capsys.readouterr().err
    assert "the file cannot be read after line" in err and "truncated or corrupt" in err
    assert "Nothing from this import was loaded: every table is as before" in err
    assert "Traceback" not in err
    assert fingerprint(clean_db) == before
    with clean_db.connect() as conn:
        run = conn.execute(text("SELECT status, error, row_counts FROM job_runs ORDER BY run_id DESC LIMIT 1")).one()
    assert run.status == "failed" and "truncated or corrupt" in run.error


def test_duplicated_columns_and_utf16_without_a_bom_are_clear_errors(tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("date,artist,metric,value,value\n2024-05-01,A,spotify_popularity,3,4\n")
    with pytest.raises(DataQualityError, match="the header names 'value' more than once"):
        read_dataset(twice)
    bare = tmp_path / "utf16.csv"
    bare.write_bytes(snapshots([date(2024, 5, 1)], 2).encode("utf-16-le"))
    with pytest.raises(DataQualityError, match="looks like UTF-16 without a byte-order mark. Save it as UTF-8"):
        read_dataset(bare)


def test_a_utf16_file_with_a_bom_imports_like_its_utf8_twin(clean_db: Engine, tmp_path: Path) -> None:
    content = snapshots(span(date(2024, 5, 1), 2), 3, name="Émilie")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(codecs.BOM_UTF16_LE + content.encode("utf-16-le"))
    outcome = run_import(clean_db, utf16)
    assert (outcome.report.rows_kept, outcome.report.rows_rejected) == (6, 0)
    with clean_db.connect() as conn:
        names = sorted(n for (n,) in conn.execute(text("SELECT name FROM artists")))
    assert names == ["Émilie 0", "Émilie 1", "Émilie 2"]


@pytest.mark.parametrize("where", ["missing_dir/rejects.csv", "."])
def test_an_unwritable_rejects_path_fails_before_the_run(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:  # fmt: skip
    good = tmp_path / "good.csv"
    good.write_text(snapshots([date(2024, 5, 1)], 2))
    rejects = tmp_path / where
    assert _cli(clean_db, monkeypatch, "import", str(good), "--rejects", str(rejects)) == 1
    err = capsys.readouterr().err
    assert f"--rejects {rejects}: cannot write there" in err and "Traceback" not in err
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_runs")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM publications")).scalar() == 0


LIMIT = 1_000_000
# Peak RSS from /proc (VmHWM): `ru_maxrss` would start at pytest's own size, inherited across fork and exec.
PROBE = f"""
import json, re, sys
from pathlib import Path
from jobs.sources import csv_files
def peak_kib():
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
csv_files.MAX_LINE_CHARS = {LIMIT}
before = peak_kib()
rows = [(line, row is not None, why) for line, row, why in csv_files.iter_rows(Path(sys.argv[1]))]
json.dump({{"growth_kib": peak_kib() - before, "rows": rows}}, sys.stdout)
"""


def test_huge_line_is_rejected_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w") as handle:
        handle.write(HEADER + "2024-05-01,A,a,T,spotify_popularity,1\n2024-05-01,B,b,T,spotify_popularity,")
        for _ in range(80):  # one line of 80 MB: 80x the limit
            handle.write("9" * 1_000_000)
        handle.write("\n2024-05-01,C,c,T,spotify_popularity,3\n")
    probe = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout)
    sys.stderr.write(f"\nhuge line: 80 MB line, limit {LIMIT:,} chars, peak RSS growth {result['growth_kib']} KiB\n")
    assert result["growth_kib"] < 40 * 1024  # well under the line's 80 MB (the limit is ~1 MB)
    assert result["rows"] == [[2, True, None], [3, False, f"line longer than {LIMIT:,} characters"], [4, True, None]]


@pytest.mark.timeout(180)
def test_an_import_sigkilled_mid_file_leaves_every_table_byte_identical(
    clean_db: Engine, database_url: str, tmp_path: Path
) -> None:
    base = tmp_path / "base.csv"
    base.write_text(snapshots(span(date(2024, 5, 1), 3)))
    run_import(clean_db, base)
    before = fingerprint(clean_db)
    big = tmp_path / "big.csv"
    big.write_text(snapshots(span(date(2023, 1, 1), 400), 50, name="Renamed"))  # 20,000 rows
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "IMPORT_CHUNK_ROWS": "1000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs", "import", str(big)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # kill it once a few chunks are staged: mid-file, inside its transaction
            if " chunk 4 " in line or " chunk 4:" in line:
                process.send_signal(signal.SIGKILL)
                break
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert fingerprint(clean_db) == before
    with lock.exclusive_run(clean_db):  # the next run marks the killed one failed
        pass
    with clean_db.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM job_runs ORDER BY run_id DESC LIMIT 1")).one()
    assert status == "failed" and error.startswith("abandoned")
