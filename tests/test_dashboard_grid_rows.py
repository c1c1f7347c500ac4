"""The Artists grid served a block at a time (dashboard/grid_rows.py, dashboard/leaderboard_grid.py), against a
database seeded by the real pipeline (demo market, 150 artists): blocks concatenate to the full ordered list,
sort and filters run in SQL through the whitelist, a hostile request is refused with 400 through the real
callback route, the server-side CSV holds every matching row with formula cells quoted, and the main
callback's cache is keyed by publication.

    python -m pytest tests/test_dashboard_grid_rows.py -q
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from dashboard import artists_grid, formats, grid_export, ids, publication_cache, tables
from dashboard.grid_rows import GridColumn, GridQuery, GridRequestRefused
from tests.dashboard_support import dash_app, login, newer_publication, seeded_dashboard

BLOCK = 20
COLUMNS = {"name": GridColumn("name", "text"), "popularity": GridColumn("popularity")}


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[Engine]:
    with seeded_dashboard(engine, database_url):
        yield engine


def sql_rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def request(start: int = 0, end: int = BLOCK, sort: list | None = None, filters: dict | None = None) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": filters or {}}


def all_blocks(genre: str | None, order: str, **shape: Any) -> list[dict[str, Any]]:
    """Ask block after block, as the grid does, until a block comes back short and names the row count."""
    rows: list[dict[str, Any]] = []
    for start in range(0, 10_000, BLOCK):
        answer = artists_grid.rows(request(start, start + BLOCK, **shape), genre, order)
        assert answer is not None
        rows += answer["rowData"]
        if "rowCount" in answer:
            assert answer["rowCount"] == len(rows)
            return rows
        assert len(answer["rowData"]) == BLOCK
    raise AssertionError("the grid never learnt its row count")


def test_blocks_concatenate_to_the_full_ordered_list(seeded: Engine) -> None:
    got = all_blocks(None, "level")
    expected = sql_rows(
        seeded,
        "SELECT artist_id, round(popularity) FROM agg_artist_leaderboard WHERE popularity IS NOT NULL"
        " ORDER BY popularity DESC, artist_id",
    )
    assert len(expected) > 3 * BLOCK
    assert [(r["artist_id"], r["popularity"]) for r in got] == [(a, int(p)) for a, p in expected]


def test_genre_order_sort_and_filters_run_in_sql(seeded: Engine) -> None:
    got = all_blocks("rock", "growth28", sort=[{"colId": "name", "sort": "asc"}],
                     filters={"popularity": {"filterType": "number", "type": "greaterThan", "filter": 20}})  # fmt: skip
    expected = sql_rows(
        seeded,
        "SELECT name FROM agg_artist_leaderboard WHERE genre = 'rock' AND popularity_28d IS NOT NULL"
        " AND round(CAST(popularity AS numeric)) > 20 ORDER BY name, artist_id",
    )
    assert [r["name"] for r in got] == [n for (n,) in expected] and expected
    assert {r["genre"] for r in got} == {formats.genre("rock")}
    texts = all_blocks(None, "level", filters={"name": {"filterType": "text", "type": "contains", "filter": "a%"}})
    assert texts == []  # the % is a literal character, not a wildcard
    one = sql_rows(seeded, "SELECT name FROM agg_artist_leaderboard ORDER BY artist_id LIMIT 1")[0][0]
    found = all_blocks(None, "level", filters={"name": {"filterType": "text", "type": "equals", "filter": one.upper()}})
    assert [r["name"] for r in found] == [one]


@pytest.mark.parametrize(
    "hostile",
    [
        request(sort=[{"colId": "popularity; DROP TABLE artists", "sort": "asc"}]),
        request(sort=[{"colId": "name", "sort": "asc; DELETE FROM artists"}]),
        request(filters={"artist_id) OR (1=1": {"filterType": "text", "type": "equals", "filter": "x"}}),
        request(filters={"popularity": {"filterType": "number", "type": "greaterThan", "filter": "1 OR 1=1"}}),
        request(filters={"name": {"filterType": "text", "type": "regexp", "filter": "x"}}),
        request(filters={"name": {"filterType": "number", "type": "equals", "filter": 1}}),
        request(start=0, end=100_000),
        request(start=-20, end=0),
        "not an object",
    ],
)
def test_hostile_requests_are_refused(hostile: Any) -> None:
    with pytest.raises(GridRequestRefused) as refused:
        GridQuery.parse(hostile, COLUMNS, default_order="popularity")
    assert refused.value.code == 400


def test_only_whitelisted_sql_and_bound_values_reach_the_statement() -> None:
    query = GridQuery.parse(
        request(40, 60, sort=[{"colId": "name", "sort": "desc"}],
                filters={"name": {"filterType": "text", "operator": "OR", "conditions": [
                    {"filterType": "text", "type": "startsWith", "filter": "x'--"},
                    {"filterType": "text", "type": "blank"}]}}),
        COLUMNS, default_order="popularity",
    )  # fmt: skip
    assert query.order_by("artist_id") == "name DESC NULLS LAST, artist_id"
    assert query.where == " AND ((name ILIKE :g0 ESCAPE '\\') OR name IS NULL)"
    assert query.params == {"g0": "x'--%"} and query.page == "LIMIT 20 OFFSET 40"


def grid_rows_payload(value: Any) -> dict[str, Any]:
    return {
        "output": f"{ids.ARTISTS_GRID}.getRowsResponse",
        "outputs": {"id": ids.ARTISTS_GRID, "property": "getRowsResponse"},
        "inputs": [{"id": ids.ARTISTS_GRID, "property": "getRowsRequest", "value": value}],
        "state": [
            {"id": ids.ARTISTS_GENRE, "property": "value", "value": None},
            {"id": ids.ARTISTS_ORDER, "property": "value", "value": "level"},
        ],  # fmt: skip
        "changedPropIds": [f"{ids.ARTISTS_GRID}.getRowsRequest"],
    }


@pytest.fixture
def client(seeded: Engine) -> FlaskClient:
    client = dash_app().server.test_client()
    assert login(client, "bo") == 302
    client.get("/artists")  # hands out the CSRF cookie
    return client


def post(client: FlaskClient, payload: dict) -> Any:
    token = client.get_cookie("_csrf_token")
    return client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json",
                       headers={"X-CSRFToken": token.value if token else ""})  # fmt: skip


def test_the_callback_route_answers_blocks_and_refuses_hostile_sorts_with_400(client: FlaskClient) -> None:
    good = post(client, grid_rows_payload(request()))
    assert good.status_code == 200
    assert len(good.get_json()["response"][ids.ARTISTS_GRID]["getRowsResponse"]["rowData"]) == BLOCK
    hostile = post(client, grid_rows_payload(request(sort=[{"colId": "1; DROP TABLE artists --", "sort": "asc"}])))
    assert hostile.status_code == 400 and "Traceback" not in hostile.get_data(as_text=True)


def test_export_holds_every_matching_row_in_the_grid_order(seeded: Engine) -> None:
    shape = request(0, 5, sort=[{"colId": "popularity", "sort": "asc"}])  # the block the grid last asked for
    exported = artists_grid.export(shape, "pop", "level")
    assert exported is not None
    download = grid_export.csv_download(tables.LEADERBOARD_COLUMNS, exported, artists_grid.FILE_NAME)
    assert download["filename"] == "hitscope-artists.csv"
    lines = list(csv.DictReader(io.StringIO(download["content"].lstrip("\ufeff"))))
    expected = sql_rows(
        seeded,
        "SELECT name FROM agg_artist_leaderboard WHERE genre = 'pop' AND popularity IS NOT NULL"
        " ORDER BY popularity ASC NULLS LAST, artist_id",
    )
    assert [row["Artist"] for row in lines] == [grid_export.csv_safe(n) for (n,) in expected]
    assert len(lines) > 5  # all of them, not the last block


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    rows = [{"name": name, "popularity": -3} for name in ("=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "\rx", "fine")]
    text_out = grid_export.csv_text([{"field": "name", "headerName": "Artist"}, {"field": "popularity"}], rows)
    lines = list(csv.reader(io.StringIO(text_out.lstrip("\ufeff"))))
    assert lines[0] == ["Artist", "popularity"]
    assert [line[0] for line in lines[1:]] == ["'=1+1", "'+A1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "fine"]
    assert {line[1] for line in lines[1:]} == {"-3"}  # numbers stay numbers


def test_the_main_callback_is_cached_per_publication(seeded: Engine) -> None:
    publication_cache.clear()
    render = importlib.import_module("dashboard.pages.artists").render_artists
    first = render(None, "level", 10)
    assert render(None, "level", 10)[1] is first[1]  # served from the cache
    assert render("pop", "level", 10)[1] is not first[1]  # other filters, other entry
    with newer_publication(seeded):  # a new publication: a new key, not a stale figure
        assert render(None, "level", 10)[1] is not first[1]


def test_publish_analyzes_the_tables_it_wrote(seeded: Engine) -> None:
    """Statistics that know the new publication id: publish ANALYZEs what it wrote (jobs/publish.py), of the
    leaderboard its publication's partition."""
    with seeded.connect() as conn:
        pid = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one()
    tables = {f"agg_artist_leaderboard_p{pid}", "agg_alerts", "agg_seasonality"}
    for _ in range(50):  # the statistics collector reports within a second or so of the commit
        with seeded.connect() as conn:
            counts = dict(conn.execute(text(
                "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(:t)"),
                {"t": sorted(tables)}).all())  # fmt: skip
        if len(counts) == 3 and all(counts.values()):
            break
        time.sleep(0.1)
    assert len(counts) == 3 and all(counts.values()), counts
    with seeded.connect() as conn:
        stats = conn.execute(text(
            "SELECT count(*) FROM pg_stats WHERE tablename = :t AND attname = 'publication_id'"),
            {"t": f"agg_artist_leaderboard_p{pid}"}).scalar()  # fmt: skip
    assert stats == 1
