"""Every grid of the product is served from the publication cache or one ordered index read (issue 12, "pages at
the floor"), against a database seeded by the real pipeline (demo market, 150 artists):

- a repeated request of each grid callback (Artists block, Discover artist grids, similar tracks, playlist, the
  Track page's scored count) runs no SELECT on a published table, and a newer publication is read afresh;
- the grid and list reads follow an index order (no full sort of a publication), and filters that are not set
  are not written into the SQL (no `(:genre IS NULL OR genre = :genre)`);
- the bench's naive app shows the same leaderboard, every column, as the published one.

    python -m pytest tests/test_dashboard_grid_cache.py -q
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from plotly.io.json import to_json_plotly
from sqlalchemy import Engine, event, text

from bench import dashboard_targets
from dashboard import (
    artists_grid,
    discover_playlist,
    discover_queries,
    leaderboard_grid,
    publication_cache,
    queries,
    queries_morning,
    queries_season,
    similar_tracks,
    tables,
)
from tests.dashboard_support import SNAPSHOT, newer_publication, seeded_dashboard
from tests.publication_support import copied_publication, scans

ROOT = Path(__file__).resolve().parent.parent
FIRST_BLOCK = {"startRow": 0, "endRow": 20, "sortModel": [], "filterModel": {}}


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[Engine]:
    with seeded_dashboard(engine, database_url):
        yield engine


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Every statement any engine of this process sends while inside, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def sample(engine: Engine) -> tuple[str, str]:
    track, artist = dashboard_targets.sample_ids(engine)
    assert track and artist, "the seeded publication has no discover results"
    return track, artist


def callbacks(engine: Engine) -> dict[str, Callable[[], Any]]:
    """Each grid callback of the product (Morning's lists are cached in dashboard/morning_lists.py)."""
    track, artist = sample(engine)
    discover = importlib.import_module("dashboard.pages.discover")
    track_page = importlib.import_module("dashboard.pages.track")
    return {
        "artists block": lambda: artists_grid.rows(FIRST_BLOCK, None, "level"),
        "discover artist": lambda: discover.render_artist(artist),
        "similar tracks": lambda: similar_tracks.render_similar(track),
        "playlist": lambda: discover_playlist.generate(1, [0, 1], [0, 1], [0, 1], [50, 220], None, None, 30),
        "track page": lambda: track_page.render_track(track),
    }


def published_reads(sent: list[tuple[str, Any]]) -> list[str]:
    return [statement for statement, _ in sent if re.search(r"\bagg_\w+", statement)]


@pytest.mark.parametrize("name", ["artists block", "discover artist", "similar tracks", "playlist", "track page"])
def test_a_repeated_grid_request_reads_no_published_table(seeded: Engine, name: str) -> None:
    publication_cache.clear()
    call = callbacks(seeded)[name]
    with statements() as first:
        shown = call()
    assert published_reads(first), "the first request reads the publication"
    with statements() as again:
        assert to_json_plotly(call()) == to_json_plotly(shown)  # components compare by identity, JSON by value
    if name == "track page":  # its score and reasons are per track; the publication's count is cached
        assert not [s for s in published_reads(again) if "count(" in s]
    else:
        assert published_reads(again) == [], again
    with newer_publication(seeded), statements() as newer:
        call()
    assert published_reads(newer), "a newer publication is a new key, read afresh"


def test_a_refused_block_request_is_not_cached(seeded: Engine) -> None:
    publication_cache.clear()
    hostile = {**FIRST_BLOCK, "sortModel": [{"colId": "1; DROP TABLE artists", "sort": "asc"}]}
    for _ in range(2):  # refused each time, never served from the cache
        with pytest.raises(Exception, match="grid request refused"):
            artists_grid.rows(hostile, None, "level")


def explained(engine: Engine, run: Callable[[Any], Any]) -> list[list[str]]:
    """EXPLAIN of each SELECT `run(conn)` sends, planned with sorting priced out (an index order wins if any)."""
    with engine.connect() as conn:
        conn.execute(text("SET enable_sort = off"))
        with statements() as sent:
            run(conn)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        plans = []
        for statement, params in sent:
            cursor.execute(f"EXPLAIN {statement}", params)
            plans.append([row[0] for row in cursor.fetchall()])
        conn.execute(text("RESET enable_sort"))
        return plans


def ordered_reads(pid: int) -> dict[str, Callable[[Any], Any]]:
    """The reads of every grid and list whose order should come from an index, with and without a genre."""
    reads: dict[str, Callable[[Any], Any]] = {}
    for genre in (None, "pop"):
        for window, basis in queries_morning.RISER_ORDERS:
            reads[f"risers {window} {basis} {genre}"] = lambda c, w=window, b=basis, g=genre: (
                queries_morning.top_risers(conn=c, publication_id=pid, genre=g, window=w, basis=b, limit=15)
            )  # fmt: skip
        for order in queries.ARTIST_ORDERS:
            reads[f"artists {order} {genre}"] = lambda c, o=order, g=genre: leaderboard_grid.leaderboard_block(
                conn=c, publication_id=pid, genre=g, order=o, request=FIRST_BLOCK
            )  # fmt: skip
        reads[f"emerging {genre}"] = lambda c, g=genre: queries_morning.emerging_hits(
            conn=c, publication_id=pid, genre=g, limit=50
        )  # fmt: skip
        reads[f"playlist {genre}"] = lambda c, g=genre: discover_queries.playlist(
            conn=c, publication_id=pid, request=discover_queries.PlaylistRequest(genre=g)
        )  # fmt: skip
    return reads


def test_grid_and_list_reads_follow_an_index_order(seeded: Engine) -> None:
    with seeded.connect() as conn:
        pid = int(conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one())
    for name, read in ordered_reads(pid).items():
        for plan in explained(seeded, read):
            sorts = [line for line in plan if re.match(r"\s*(->\s+)?Sort\s+\(", line)]
            assert not sorts, f"{name} sorts a whole publication:\n" + "\n".join(plan)


def test_filters_not_set_are_not_written_into_the_sql(seeded: Engine) -> None:
    with seeded.connect() as conn:
        pid = int(conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one())
        years = queries_season.seasonality_years(conn=conn, publication_id=pid)
        assert years is not None
        reads = {
            "playlist": lambda g: discover_queries.playlist(
                conn=conn, publication_id=pid, request=discover_queries.PlaylistRequest(genre=g, length=200)
            ),
            "seasonality": lambda g: queries_season.seasonality(
                conn=conn, publication_id=pid, genre=g, year_from=years[0], year_to=years[1]
            ),
        }  # fmt: skip
        for name, read in reads.items():
            with statements() as everything:
                every = read(None)
            with statements() as pop:
                only = read("pop")
            assert "genre = " not in everything[0][0] and "IS NULL" not in everything[0][0], name
            assert "genre = %(genre)s" in pop[0][0], name
            assert set(only["genre"]) == {"pop"} and len(set(every["genre"])) > 1, name
    with_params = re.compile(r"CAST\(:\w+ AS \w+\) IS NULL OR")  # how a bound optional filter is written
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        assert not with_params.search(path.read_text()), f"{path.name} writes an optional filter into the SQL"


def test_the_naive_app_shows_the_published_leaderboard(seeded: Engine, database_url: str) -> None:
    """Every column the Artists grid shows, with the published numbers, for every published artist."""
    script = (
        "import json, sys\n"
        "from bench.naive_app import server\n"
        "body = {'output': '..graph.figure...grid.rowData...genre.options..',"
        " 'outputs': [{'id': 'graph', 'property': 'figure'}, {'id': 'grid', 'property': 'rowData'},"
        " {'id': 'genre', 'property': 'options'}],"
        " 'inputs': [{'id': 'genre', 'property': 'value', 'value': None}], 'changedPropIds': []}\n"
        "answer = server.test_client().post('/_dash-update-component', json=body)\n"
        "sys.stdout.write(json.dumps(answer.get_json()['response']))\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "NAIVE_DAY": SNAPSHOT.isoformat(), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    response = json.loads(done.stdout)
    rows = response["grid"]["rowData"]
    fields = [column["field"] for column in tables.LEADERBOARD_COLUMNS]
    with seeded.connect() as conn:
        published = conn.execute(text(
            f"SELECT artist_id, {', '.join(fields)} FROM agg_artist_leaderboard"
            " WHERE publication_id = (SELECT max(publication_id) FROM publications)"
        )).mappings().all()  # fmt: skip
    assert len(rows) == len(published) > 100
    by_id = {row["artist_id"]: row for row in rows}
    for expected in published:
        got = by_id[expected["artist_id"]]
        for field in fields:
            want = expected[field]
            assert got[field] == (pytest.approx(want) if isinstance(want, float) else want), field
    assert response["graph"]["figure"]["data"] and "top 20" in json.dumps(response["graph"]["figure"]["layout"])
    assert response["genre"]["options"] == sorted({row["genre"] for row in published})


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ({"response": {"g": {"rowData": [{"a": 1}]}}}, True),
        ({"response": {"g": {"getRowsResponse": {"rowData": [{"a": 1}], "rowCount": 1}}}}, True),
        ({"response": {"g": {"figure": {"data": [{"type": "bar"}]}}}}, True),
        ({"response": {"g": {"rowData": []}}}, False),
        ({"response": {"g": {"getRowsResponse": {"rowData": [], "rowCount": 0}}}}, False),
        ({"response": {"g": {"children": None}}}, False),
        ({"response": {}}, False),
    ],
)
def test_the_bench_refuses_to_time_an_answer_with_nothing_to_show(answer: dict, ok: bool) -> None:
    if ok:
        dashboard_targets.check_answer("g", answer)
    else:
        with pytest.raises(RuntimeError, match="nothing to show"):
            dashboard_targets.check_answer("g", answer)


def test_every_published_read_scans_one_publications_partitions(seeded: Engine) -> None:
    """With two publications, each grid callback (reading the newest) and each ordered read of the older one
    runs scans of that publication's partitions only (the others pruned at planning, or never executed)."""
    with seeded.connect() as conn:
        older = int(conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one())
    with copied_publication(seeded) as newer:
        publication_cache.clear()
        with statements() as newest_reads:
            for call in callbacks(seeded).values():
                call()
        with statements() as older_reads, seeded.connect() as conn:
            for read in ordered_reads(older).values():
                read(conn)
        checked = 0
        with seeded.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for pid, sent in ((newer, newest_reads), (older, older_reads)):
                for statement, params in sent:
                    if not re.match(r"\s*(SELECT|WITH)\b", statement) or not re.search(r"\bagg_\w+", statement):
                        continue
                    cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {statement}", params)
                    ran = {name for name, run in scans([row[0] for row in cursor.fetchall()]).items() if run}
                    assert {name.rsplit("_p", 1)[1] for name in ran} <= {str(pid)}, (statement, ran)
                    checked += bool(ran)
    assert checked >= 10, checked
