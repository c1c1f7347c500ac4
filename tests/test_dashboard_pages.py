"""The dashboard against a database seeded by the real pipeline (demo market, 150 artists, 35 days).

Callbacks are called directly and their figures compared with values read back with SQL; through the Flask
test client, Dash's page router returns each page's own layout (a GET answers 200 with the same index page
for any path, so it proves nothing), and /healthz answers.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator

import dash
import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from dashboard import artists_grid, ids
from tests.dashboard_support import (
    SNAPSHOT,
    dash_app,
    login,
    seeded_dashboard,
    signed_in,
)
from tests.web_support import component_ids, find_props, routed

ROUTED = [  # (user, path, ids the page's layout must hold, words it must say)
    ("bo", "/", {ids.MORNING_URL, ids.MORNING_EMERGING, ids.MORNING_RISERS, ids.MORNING_ALERTS_GRID},
     "What is breaking"),
    ("bo", "/artists", {ids.ARTISTS_URL, ids.ARTISTS_GRAPH, ids.ARTISTS_GRID}, "Who is biggest"),
    ("bo", "/seasonality", {ids.SEASON_URL, ids.SEASON_BARS, ids.SEASON_HEATMAP}, "Which release months"),
    ("ana", "/admin", {ids.ADMIN_REFRESH, ids.ADMIN_RETRAIN, ids.ADMIN_RUNS, ids.ADMIN_HEALTH}, "Refresh the data"),
    ("bo", "/admin", set(), "This page is for admins"),
    ("bo", "/no/such/page", set(), "No page lives at this address"),
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[Engine]:
    with seeded_dashboard(engine, database_url):
        yield engine


def page(name: str):  # the module Dash imported (importing it again would register its callbacks twice)
    return importlib.import_module(f"dashboard.pages.{name}")


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def test_every_page_layout_renders(seeded: Engine) -> None:
    pages = {p["module"]: p for p in dash.page_registry.values()}
    assert {"dashboard.pages.morning", "dashboard.pages.artists", "dashboard.pages.seasonality",
            "dashboard.pages.admin"} <= set(pages)  # fmt: skip
    for entry in pages.values():
        for query in ({}, {"genre": "pop", "order": "nonsense", "top": "x", "from": "2024", "to": "2025"}):
            tree = entry["layout"](**query).to_plotly_json()
            assert tree["type"] == "Div"


def find(component: object, component_id: str) -> object:
    """The component with `component_id` in a layout tree."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def test_layout_takes_filters_from_the_url(seeded: Engine) -> None:
    layout = page("artists").layout(genre="rock", order="growth28", top="10")
    assert find(layout, ids.ARTISTS_GENRE).value == "rock"
    assert find(layout, ids.ARTISTS_ORDER).value == "growth28"
    assert find(layout, ids.ARTISTS_TOP).value == 10
    season = page("seasonality").layout(genre="latin", **{"from": "2025", "to": "2024"})
    assert find(season, ids.SEASON_GENRE).value == "latin"
    assert find(season, ids.SEASON_YEARS).value == [2024, 2025]


def test_morning_shows_freshness_demo_badge_and_headlines(seeded: Engine) -> None:
    freshness, last_run = page("morning").render_morning(0)
    headlines = page("morning").render_lists(None, "7", "points")[5]
    text_out = str(freshness.to_plotly_json())
    assert SNAPSHOT.isoformat() in text_out and "DEMO DATA" in text_out and "source demo" in text_out
    n_artists = scalar(seeded, "SELECT (summary ->> 'n_artists')::int FROM publications")
    assert n_artists == scalar(seeded, "SELECT count(*) FROM artists") == 150
    ranked = scalar(seeded, "SELECT count(*) FROM agg_artist_leaderboard")
    assert f"{ranked:,}" in str(headlines)
    run_id = scalar(seeded, "SELECT max(run_id) FROM job_runs")
    assert f"backfill #{run_id}" in str(last_run.to_plotly_json()) and "succeeded" in str(last_run.to_plotly_json())


def test_artist_bars_come_from_the_leaderboard(seeded: Engine) -> None:
    render = page("artists").render_artists
    alert, figure, options = render(None, "level", 10)
    grid_rows = artists_grid.export({}, None, "level")  # the grid's rows come a block at a time: all of them
    assert alert is None and len(grid_rows) == scalar(seeded, "SELECT count(popularity) FROM agg_artist_leaderboard")
    expected = rows(
        seeded,
        "SELECT name, popularity FROM agg_artist_leaderboard WHERE popularity IS NOT NULL"
        " ORDER BY popularity DESC, artist_id LIMIT 10",
    )
    assert list(figure.data[0].y) == [name for name, _ in expected]
    np.testing.assert_allclose(figure.data[0].x, [value for _, value in expected])
    genres = [o["value"] for o in options]
    assert genres == [g for (g,) in rows(seeded, "SELECT DISTINCT genre FROM agg_artist_leaderboard ORDER BY 1")]

    _, pop_figure, _ = render("pop", "level", 10)
    pop_rows = artists_grid.export({}, "pop", "level")
    pop_names = {n for (n,) in rows(seeded, "SELECT name FROM agg_artist_leaderboard WHERE genre = 'pop'")}
    assert set(pop_figure.data[0].y) <= pop_names and list(pop_figure.data[0].y) != list(figure.data[0].y)
    assert {r["name"] for r in pop_rows} == pop_names and {r["genre"] for r in pop_rows} == {"Pop"}


def test_artist_growth_order(seeded: Engine) -> None:
    _, figure, _ = page("artists").render_artists("rock", "growth28", 5)
    expected = rows(
        seeded,
        "SELECT name, popularity_28d FROM agg_artist_leaderboard WHERE genre = 'rock'"
        " AND popularity_28d IS NOT NULL ORDER BY popularity_28d DESC, artist_id LIMIT 5",
    )
    assert list(figure.data[0].y) == [n for n, _ in expected]
    np.testing.assert_allclose(figure.data[0].x, [v for _, v in expected])


def test_seasonality_bars_match_sql_and_genre_filter_changes_them(seeded: Engine) -> None:
    module = page("seasonality")
    genres, low, high, marks, value = module.season_options("/seasonality", None)
    assert (low, high) == tuple(rows(seeded, "SELECT min(release_year), max(release_year) FROM agg_seasonality")[0])
    assert value == [low, high] and len(genres) == 8

    alert, note, bars, heatmap = module.render_seasonality(None, [low, high])
    by_month = dict(
        rows(
            seeded,
            "SELECT release_month, 100.0 * sum(n_hits) / sum(n_tracks) FROM agg_seasonality GROUP BY 1",
        )
    )
    got = dict(zip(range(1, 13), bars.data[0].y, strict=True))
    for month, rate in by_month.items():
        assert got[month] == pytest.approx(float(rate))
    excluded = scalar(seeded, "SELECT sum(n_tracks) FROM agg_seasonality_excluded")
    assert excluded > 0 and f"{excluded:,} with a year-only release date" in note
    assert len(heatmap.data[0].y) == 8
    _, _, _, popularity_map = module.render_seasonality(None, [low, high], "mean_popularity")
    month, rock_popularity = rows(
        seeded,
        "SELECT release_month, sum(mean_popularity * n_tracks)"
        " / sum(n_tracks) FILTER (WHERE mean_popularity IS NOT NULL) FROM agg_seasonality"
        " WHERE genre = 'rock' GROUP BY 1 ORDER BY sum(n_tracks) DESC, 1 LIMIT 1",
    )[0]
    row = list(popularity_map.data[0].y).index("Rock")
    assert popularity_map.data[0].z[row][month - 1] == pytest.approx(rock_popularity)

    _, latin_note, latin_bars, latin_heatmap = module.render_seasonality("latin", [low, high])
    latin = dict(
        rows(
            seeded,
            "SELECT release_month, 100.0 * sum(n_hits) / sum(n_tracks) FROM agg_seasonality"
            " WHERE genre = 'latin' GROUP BY 1",
        )
    )
    latin_got = dict(zip(range(1, 13), latin_bars.data[0].y, strict=True))
    for month, rate in latin.items():
        assert latin_got[month] == pytest.approx(float(rate))
    assert list(latin_bars.data[0].y) != list(bars.data[0].y)
    latin_years = rows(seeded, "SELECT DISTINCT release_year FROM agg_seasonality WHERE genre = 'latin' ORDER BY 1")
    assert "Latin releases" in latin_note  # the genre filter drives the heatmap too: Latin by release year
    assert list(latin_heatmap.data[0].y) == [str(year) for (year,) in latin_years]


def test_seasonality_year_range_narrows_the_data(seeded: Engine) -> None:
    module = page("seasonality")
    _, low, high, _, _ = module.season_options("/seasonality", None)[0:5]
    _, note_all, _, _ = module.render_seasonality(None, [low, high])
    _, note_last, bars, _ = module.render_seasonality(None, [high, high])
    counted = scalar(seeded, "SELECT sum(n_tracks) FROM agg_seasonality WHERE release_year = :y", y=high)
    assert note_last.startswith(f"{counted:,} releases") and note_all != note_last


def test_admin_refresh_request_and_run_history(seeded: Engine) -> None:
    admin = page("admin")
    with signed_in("ana"):
        first = str(admin.request_refresh(1, source="demo").to_plotly_json())
        second = str(admin.request_refresh(2, source="demo").to_plotly_json())
    assert "requested (request #" in first and "already pending" in second
    pending = rows(seeded, "SELECT kind, trigger, source, status FROM refresh_requests")
    assert pending == [("refresh", "manual", "demo", "pending")]
    assert rows(seeded, "SELECT requested_by FROM refresh_requests") == [("ana",)]
    with signed_in("ana"):
        queue, run_rows, options, health = admin.render_runs(0, None)
    assert "refresh of demo" in str(queue.to_plotly_json())
    backfill = rows(seeded, "SELECT run_id, kind, status FROM job_runs")[0]
    assert [(r["run_id"], r["kind"], r["status"]) for r in run_rows] == [backfill]
    stages = run_rows[0]["stages"]  # in words, as the stage list above it names them: not 'feature_table'
    assert "extract + load" in stages and "aggregate + publish" in stages and "_" not in stages
    assert "loaded_raw_observations=" in run_rows[0]["rows"]
    assert {"label": "demo", "value": "demo"} in options
    health_text = str(health)
    assert "demo" in health_text and "succeeded" in health_text and "every metric present" in health_text
    with seeded.begin() as conn:
        conn.execute(text("DELETE FROM refresh_requests"))


def signed_in_client(name: str) -> FlaskClient:
    client = dash_app().server.test_client()
    assert login(client, name) == 302
    client.get("/")  # the page load hands out the CSRF cookie the router's POST sends back
    return client


@pytest.mark.parametrize(("user", "path", "wanted", "words"), ROUTED, ids=[f"{u}{p}" for u, p, *_ in ROUTED])
def test_every_path_routes_to_its_own_page(seeded: Engine, user: str, path: str, wanted: set, words: str) -> None:
    layout = routed(signed_in_client(user), path)
    found = component_ids(layout)
    assert wanted <= found, sorted(wanted - found)
    assert words in json.dumps(layout)
    if user == "bo" and path == "/admin":
        assert not {i for i in found if i.startswith("admin-")}  # a viewer gets no admin control at all


def test_the_router_hands_the_url_filters_to_the_page(seeded: Engine) -> None:
    layout = routed(signed_in_client("bo"), "/artists?genre=pop&order=growth7&top=10&junk=1")
    chosen = {key: find_props(layout, key)["value"] for key in (ids.ARTISTS_GENRE, ids.ARTISTS_ORDER, ids.ARTISTS_TOP)}
    assert chosen == {ids.ARTISTS_GENRE: "pop", ids.ARTISTS_ORDER: "growth7", ids.ARTISTS_TOP: 10}


def test_morning_arrives_with_its_first_view_and_fires_no_callback_at_load(seeded: Engine) -> None:
    """The routed layout already holds the lists, freshness and watchlist (no round trip after it), and every
    Morning callback waits for a filter change or the minute's tick."""
    layout = routed(signed_in_client("bo"), "/?window=28")
    _, _, risers, _, alert_rows, _, options = page("morning").render_lists(None, "28", "points")
    stored = find_props(layout, ids.short_table("rows", ids.MORNING_RISERS))["data"]
    assert risers and stored == json.loads(json.dumps(risers))
    assert risers[0]["name"] in json.dumps(find_props(layout, ids.MORNING_RISERS))  # drawn, not only stored
    alerts = find_props(layout, ids.short_table("rows", ids.MORNING_ALERTS_GRID))["data"]
    assert alerts == json.loads(json.dumps(alert_rows))
    # No grid on the page while the watchlist is empty: the browser loads no dash-ag-grid chunk for Morning.
    assert '"namespace": "dash_ag_grid"' not in json.dumps(layout)
    assert find_props(layout, ids.MORNING_URL)["search"] == "?window=28"  # mounting it fires no URL callback
    assert find_props(layout, ids.MORNING_GENRE)["options"] == options
    assert "Data as of" in json.dumps(find_props(layout, ids.MORNING_FRESHNESS))
    specs = signed_in_client("bo").get("/_dash-dependencies").get_json()  # what the browser is told
    morning = [spec for spec in specs if "morning-" in spec["output"]]
    assert len(morning) >= 5 and [spec["output"] for spec in morning if not spec["prevent_initial_call"]] == []


def test_healthz_reports_publication_age(seeded: Engine) -> None:
    response = dash_app().server.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] is True and 0 <= body["last_publication_age_seconds"] < 3600


def test_pages_say_what_is_missing_before_a_model_is_trained(seeded: Engine) -> None:
    alert, _, verdict, metric_rows, importance, _, versions = page("model").render_model(True)
    assert verdict is None
    assert "python -m jobs train" in str(alert.to_plotly_json()["props"]["children"])
    assert metric_rows == [] and versions == [] and importance.layout.annotations[0].text
    note, emerging, risers, _, alert_rows, _, _ = page("morning").render_lists(None, "7", "points")
    assert "No model trained yet" in str(note.to_plotly_json()["props"]["children"]) and emerging == []
    assert len(risers) == 15  # risers and alerts come from the leaderboard, not the model
    published_alerts = scalar(
        seeded,
        "SELECT count(DISTINCT artist_id) FROM agg_alerts"
        " WHERE publication_id = (SELECT max(publication_id) FROM publications)",
    )
    assert published_alerts > 0 and len(alert_rows) == min(published_alerts, 15)  # no model needed for alerts
    track_id = scalar(seeded, "SELECT min(entity_id) FROM raw_observations WHERE entity_type = 'track'")
    header, _reasons, waterfall, history = page("track").render_track(track_id)
    assert "python -m jobs train" in str(header) and history.data


def test_reads_are_one_read_only_snapshot_with_a_statement_timeout(seeded: Engine) -> None:
    from dashboard.db import reading

    with reading() as conn:
        settings = [conn.execute(text(f"SHOW {name}")).scalar() for name in
                    ("transaction_isolation", "transaction_read_only", "statement_timeout")]  # fmt: skip
    assert settings == ["repeatable read", "on", "5s"]
    with reading() as conn:  # the pooled connection came back to its defaults in between
        assert conn.execute(text("SELECT count(*) FROM publications")).scalar() == 1
