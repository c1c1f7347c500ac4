"""Pages built on the model's published tables: Morning's lists, Model, Track, Artist, and the artist search.
Dash's page router (through the Flask test client) returns each of these pages' own layout for its path.

The demo market is seeded through the real pipeline; the model outputs are written the way the scoring stage
writes them (tests/dashboard_support.seed_model_outputs), then every figure and row is checked against SQL.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dashboard import glossary, ids, morning_lists, publication_cache
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import dash_app, dashboard_database, seed_demo, seed_model_outputs, signed_in


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[dict[str, Any]]:
    start_clean(engine)
    outcome = seed_demo(engine)
    written = seed_model_outputs(engine, publication_id=outcome.publication_id)
    with dashboard_database(database_url):
        dash_app()
        yield {"engine": engine, "publication_id": outcome.publication_id, **written}
    reset_database(engine)


def page(name: str):
    return importlib.import_module(f"dashboard.pages.{name}")


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def test_emerging_hits_are_the_most_likely_non_hits(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    note, emerging, *_ = page("morning").render_lists(None, "7", "points")
    expected = rows(
        engine,
        "SELECT track_id, probability FROM agg_track_scores WHERE NOT is_hit AND probability >= 0.05"
        " ORDER BY probability DESC, track_id LIMIT 50",
    )
    assert [(r["track_id"], r["probability"]) for r in emerging] == [(t, round(p, 4)) for t, p in expected]
    assert "non-hits with a hit probability of 5% or more" in str(note.to_plotly_json())
    _, latin, *_ = page("morning").render_lists("latin", "7", "points")
    latin_ids = {t for (t,) in rows(engine, "SELECT track_id FROM agg_track_scores WHERE genre = 'latin'")}
    assert latin and {r["track_id"] for r in latin} <= latin_ids and latin != emerging


def test_top_risers_by_window_and_basis(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    render = page("morning").render_lists
    _, _, by_points, *_ = render(None, "7", "points")
    expected = rows(
        engine,
        "SELECT name, popularity_7d FROM agg_artist_leaderboard WHERE popularity_7d IS NOT NULL"
        " ORDER BY popularity_7d DESC, artist_id LIMIT 15",
    )
    assert [(r["name"], r["change_points"]) for r in by_points] == [(n, round(v, 1)) for n, v in expected]
    _, _, by_percent, *_ = render(None, "28", "percent")
    expected_pct = rows(
        engine,
        "SELECT name, coalesce(followers_28d_pct, listeners_28d_pct) AS pct FROM agg_artist_leaderboard"
        " WHERE coalesce(followers_28d_pct, listeners_28d_pct) IS NOT NULL"
        " ORDER BY pct DESC, artist_id LIMIT 15",
    )
    assert [(r["name"], r["change_pct"]) for r in by_percent] == [(n, round(v, 1)) for n, v in expected_pct]
    assert by_percent != by_points


def test_alerts_list_the_spikes(seeded: dict[str, Any]) -> None:
    alerts = page("morning").render_lists(None, "7", "points")[4]
    expected = rows(
        seeded["engine"],
        "SELECT name, max(zscore) FROM agg_alerts"
        " WHERE publication_id = (SELECT max(publication_id) FROM publications) GROUP BY artist_id, name"
        f" ORDER BY max(zscore) DESC, artist_id LIMIT {morning_lists.ALERT_LIMIT}",
    )
    assert [(r["name"], r["zscore"]) for r in alerts] == [(n, round(z, 1)) for n, z in expected]
    assert len(expected) > 0


def test_model_page_shows_honest_metrics_next_to_baselines_and_random_split(seeded: dict[str, Any]) -> None:
    alert, summary, verdict, metric_rows, importance, calibration, versions = page("model").render_model(True)
    assert "retrain to see its verdict" in str(verdict.to_plotly_json())  # seeded metrics predate the schema
    metrics = seeded["metrics"]
    by_name = {r["model"]: r for r in metric_rows}
    assert by_name["LightGBM · forward in time (honest)"]["roc_auc"] == metrics["forward"]["roc_auc"]
    assert by_name["LightGBM · random split (leaky)"]["roc_auc"] == metrics["random_split"]["roc_auc"]
    assert by_name["Baseline: momentum_only"]["pr_auc"] == metrics["baselines"]["momentum_only"]["pr_auc"]
    assert by_name["Baseline: audio_only"]["note"].startswith("skipped: no audio features")
    gains = rows(seeded["engine"], "SELECT feature, gain FROM agg_feature_importance ORDER BY gain DESC")
    assert list(importance.data[0].y) == [glossary.label(f) for f, _ in gains]  # the glossary's words, in gain order
    total = sum(g for _, g in gains)
    assert list(importance.data[0].x) == pytest.approx([g / total * 100 for _, g in gains])
    assert list(calibration.data[1].x) == pytest.approx([b["mean_predicted"] for b in metrics["calibration"]])
    assert [v["is_active"] for v in versions] == [False, True]
    assert f"version {seeded['model_version_id']}" in str(summary.to_plotly_json())


def test_track_page_waterfall_adds_up_to_the_probability(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    track_id, probability, name = rows(
        engine, "SELECT track_id, probability, name FROM agg_track_scores ORDER BY probability DESC LIMIT 1"
    )[0]
    header, _reasons, waterfall, history = page("track").render_track(track_id)
    steps = list(waterfall.data[0].x)[:-1]
    assert sum(steps) == pytest.approx(math.log(probability / (1 - probability)))
    assert f"{probability:.1%}" in waterfall.layout.title.text and name in str(header)
    n_days = rows(engine, "SELECT count(*) FROM raw_observations WHERE entity_id = :t", t=track_id)[0][0]
    lines = [trace for trace in history.data if trace.mode == "lines" and not trace.name.startswith("hit threshold")]
    assert sum(len(trace.x) for trace in lines) == n_days


def test_track_page_for_unknown_and_unscored_tracks(seeded: dict[str, Any]) -> None:
    header, *_ = page("track").render_track("demo:does-not-exist")
    assert "No track with id" in str(header)
    unscored = rows(
        seeded["engine"],
        "SELECT track_id FROM tracks WHERE track_id NOT IN (SELECT track_id FROM agg_track_scores) LIMIT 1",
    )[0][0]
    header, _, waterfall, _ = page("track").render_track(unscored)
    assert "did not score this track" in str(header) and waterfall.layout.annotations[0].text


def test_artist_page_history_and_scored_releases(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    artist_id, name = rows(
        engine,
        "SELECT artist_id, artist_name FROM agg_track_scores GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1",
    )[0]
    header, history, releases = page("artist").render_artist(artist_id)
    assert name in str(header)
    metrics = {m for (m,) in rows(engine, "SELECT DISTINCT metric FROM raw_observations WHERE entity_id = :a",
                                  a=artist_id)}  # fmt: skip
    assert len(history.data) == len(metrics) and len(metrics) == 3
    scored = dict(
        rows(
            engine,
            "SELECT s.track_id, s.probability FROM agg_track_scores s JOIN track_artists ta USING (track_id)"
            " WHERE ta.artist_id = :a",
            a=artist_id,
        )
    )
    assert {r["track_id"]: r["probability"] for r in releases if r["probability"] is not None} == {
        t: round(p, 4) for t, p in scored.items()
    }
    header, _, _ = page("artist").render_artist("demo:nobody")
    assert "No artist with id" in str(header)


def test_fuzzy_search_finds_a_misspelt_artist(seeded: dict[str, Any]) -> None:
    artist_id, name = rows(
        seeded["engine"],
        "SELECT artist_id, name FROM agg_artist_leaderboard WHERE length(name) > 8"
        " ORDER BY length(name) DESC, artist_id LIMIT 1",  # the longest name: no near-twin can outrank it
    )[0]
    typo = name[:-2] + name[-1] + name[-2]  # swap the last two letters
    from dashboard.search_box import search_everything

    results = search_everything(typo.lower())
    hrefs = [item.href for item in results.children]
    assert f"/artist/{artist_id}" in hrefs
    assert "No artist or track close to" in str(search_everything("qqqqqqqq").to_plotly_json())


def test_model_track_artist_discover_and_lookup_paths_route_to_their_pages(seeded: dict[str, Any]) -> None:
    """What Dash's router returns for each path (a GET of any path is the same 200 index page)."""
    from tests.dashboard_support import login
    from tests.web_support import component_ids, find_props, routed

    client = dash_app().server.test_client()
    assert login(client, "bo") == 302
    client.get("/")  # the CSRF cookie
    model = routed(client, "/model")
    assert {ids.MODEL_VERDICT, ids.MODEL_METRICS, ids.MODEL_VERSIONS, ids.MODEL_IMPORTANCE} <= component_ids(model)
    track = routed(client, "/track/demo%3At0000001")  # the id percent-encoded, as links write it
    assert find_props(track, ids.TRACK_ID)["data"] == "demo:t0000001"
    assert {ids.TRACK_HEADER, ids.TRACK_REASONS, ids.TRACK_HISTORY, ids.TRACK_SIMILAR} <= component_ids(track)
    artist = routed(client, "/artist/demo:a000001")
    assert find_props(artist, ids.ARTIST_ID)["data"] == "demo:a000001"
    assert {ids.ARTIST_HEADER, ids.ARTIST_HISTORY, ids.ARTIST_RELEASES} <= component_ids(artist)
    seeds = {a for (a,) in rows(seeded["engine"], "SELECT DISTINCT seed_artist_id FROM agg_segments")}
    discover = routed(client, "/discover")  # its layout reads the publication: the picker lists the seeds
    assert {ids.DISCOVER_ARTIST, ids.DISCOVER_SEGMENT, ids.PLAYLIST_GO} <= component_ids(discover)
    picker = find_props(discover, ids.DISCOVER_ARTIST)
    assert seeds and {option["value"] for option in picker["options"]} == seeds and picker["value"] in seeds
    assert "Market segment" in json.dumps(discover)
    lookup = routed(client, "/lookup?q=some%20song")
    assert find_props(lookup, ids.LOOKUP_QUERY)["value"] == "some song"
    with signed_in("bo"):
        layout = page("track").layout(track_id="demo%3At0000001")
    assert layout.children[0].data == "demo:t0000001"


def test_morning_rows_are_built_once_per_publication_filters_and_model(
    seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grids' rows are built once per (publication, filters, active model): a repeated request builds none."""
    from dashboard import scout_rows

    built: list[int] = []
    original = scout_rows.emerging_rows
    monkeypatch.setattr(scout_rows, "emerging_rows", lambda *a, **k: built.append(1) or original(*a, **k))
    first = page("morning").render_lists(None, "7", "points")
    assert page("morning").render_lists(None, "7", "points")[1] == first[1] and len(built) == 1
    page("morning").render_lists(None, "28", "points")  # another filter set: built for it
    assert len(built) == 2


def test_morning_lists_are_cached_per_publication(seeded: dict[str, Any]) -> None:
    """A publication never changes, so its lists are built once (dashboard/morning_lists.py); the key is the
    publication: rows rewritten in place (which production never does) are not seen until the cache is cleared."""
    engine, pid = seeded["engine"], seeded["publication_id"]
    first = page("morning").render_lists(None, "7", "points")[1]
    assert first, "the demo publication has an emerging list"
    rename = "UPDATE agg_track_scores SET name = :name WHERE publication_id = :pid AND track_id = :tid"
    with engine.begin() as conn:
        conn.execute(text(rename), {"name": "Renamed in place", "pid": pid, "tid": first[0]["track_id"]})
    try:
        assert page("morning").render_lists(None, "7", "points")[1] == first  # served from the cache
        publication_cache.clear()
        assert page("morning").render_lists(None, "7", "points")[1][0]["name"] == "Renamed in place"
    finally:
        with engine.begin() as conn:
            conn.execute(text(rename), {"name": first[0]["name"], "pid": pid, "tid": first[0]["track_id"]})
        publication_cache.clear()
