"""Filters <-> query string: forgiving parsing, canonical writing (pure, no database)."""

from __future__ import annotations

import importlib

import pytest

from dashboard import urlstate


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  pop ", "pop"), (["rock", "latin"], "latin"), ([], None), (7, "7")],
)
def test_one_takes_the_last_of_a_repeated_key(value: object, expected: str | None) -> None:
    assert urlstate.one(value) == expected


def test_choice_and_integer_fall_back_to_defaults() -> None:
    assert urlstate.choice("growth7", ("level", "growth7"), "level") == "growth7"
    assert urlstate.choice("DROP TABLE", ("level", "growth7"), "level") == "level"
    assert urlstate.integer("30", 20, low=1, high=50) == 30
    assert urlstate.integer("500", 20, low=1, high=50) == 50
    assert urlstate.integer("-3", 20, low=1, high=50) == 1
    assert urlstate.integer("ten", 20, low=1, high=50) == 20
    assert urlstate.integer(None, None, low=1, high=50) is None


def test_search_string_leaves_defaults_out_and_round_trips() -> None:
    defaults = {"genre": None, "order": "level", "top": 20}
    assert urlstate.search_string({"genre": None, "order": "level", "top": 20}, defaults) == ""
    search = urlstate.search_string({"genre": "r&b", "order": "growth7", "top": 20}, defaults)
    assert search == "?genre=r%26b&order=growth7"
    assert urlstate.query_of(search) == {"genre": "r&b", "order": "growth7"}
    assert urlstate.query_of("?genre=a&genre=b") == {"genre": ["a", "b"]}
    assert urlstate.query_of(None) == {} and urlstate.query_of("") == {}


def _parse(query: dict) -> dict:
    return {
        "genre": urlstate.one(query.get("genre")),
        "top": urlstate.integer(query.get("top"), 20, low=1, high=50),
    }


def test_sync_url_sets_the_controls_when_the_url_fired(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back/forward or a pasted link: the query string wins and the controls follow it; the URL is not rewritten."""
    monkeypatch.setattr(urlstate, "triggered_id", lambda: "page-url")
    out = urlstate.sync_url(
        "?genre=latin&top=500", "page-url", {"genre": "pop", "top": 10}, _parse, {"genre": None, "top": 20}
    )
    assert out == (urlstate.dash.no_update, "latin", 50)
    # the page's Location mounting on a load: controls already showing the URL's values are left alone, so the
    # page's callbacks do not fire a second time; only the one that differs is set
    no = urlstate.dash.no_update
    defaults = {"genre": None, "top": 20}
    assert urlstate.sync_url("?genre=latin", "page-url", {"genre": "latin", "top": 20}, _parse, defaults) == (
        no,
        no,
        no,
    )
    assert urlstate.sync_url("?genre=latin", "page-url", {"genre": "latin", "top": 10}, _parse, defaults) == (
        no,
        no,
        20,
    )


def test_sync_url_writes_the_query_string_when_a_control_fired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urlstate, "triggered_id", lambda: "page-genre")
    no = urlstate.dash.no_update
    defaults = {"genre": None, "top": 20}
    assert urlstate.sync_url("", "page-url", {"genre": "pop", "top": 20}, _parse, defaults) == ("?genre=pop", no, no)
    # the same query string already in the URL: nothing is written (no duplicate history entry)
    assert urlstate.sync_url("?genre=pop", "page-url", {"genre": "pop", "top": 20}, _parse, defaults) == (no, no, no)


def test_sync_url_maps_the_query_onto_controls_that_differ_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`controls=`: the parsed query gives the controls by their own names (Seasonality's years from from/to)."""
    monkeypatch.setattr(urlstate, "triggered_id", lambda: "page-url")

    def parse(query: dict) -> dict:
        return {"genre": urlstate.one(query.get("genre")), "years": [query.get("from"), query.get("to")]}

    out = urlstate.sync_url("?from=2020&to=2024", "page-url", {"genre": None}, parse, {}, controls=("years", "genre"))
    assert out == (urlstate.dash.no_update, ["2020", "2024"], urlstate.dash.no_update)  # genre already None
    monkeypatch.setattr(urlstate, "triggered_id", lambda: "page-genre")
    no = urlstate.dash.no_update
    assert urlstate.sync_url("", "page-url", {"genre": "pop"}, parse, {}, controls=("years", "genre")) == (
        "?genre=pop",
        no,
        no,
    )


def test_seasonality_url_sets_genre_years_and_metric_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back/forward on Seasonality: the years come back in order and inside the slider's bounds (2000-2025)."""
    from dashboard import ids
    from tests.dashboard_support import dash_app

    dash_app()  # the page modules register with the app
    season = importlib.import_module("dashboard.pages.seasonality").seasonality_url
    no = urlstate.dash.no_update
    monkeypatch.setattr(urlstate, "triggered_id", lambda: ids.SEASON_URL)
    search = "?genre=latin&from=2030&to=2010&metric=mean_popularity"
    assert season(search, None, None, "hit_rate", 2000, 2025) == (no, "latin", [2010, 2025], "mean_popularity")
    assert season("", "pop", [2001, 2002], "mean_popularity", 2000, 2025) == (no, None, [2000, 2025], "hit_rate")
    monkeypatch.setattr(urlstate, "triggered_id", lambda: ids.SEASON_YEARS)  # a control: the URL follows it
    assert season("", "pop", [2001, 2002], "hit_rate", 2000, 2025) == ("?genre=pop&from=2001&to=2002", no, no, no)
    assert season("", None, [2000, 2025], "hit_rate", 2000, 2025) == (no, no, no, no)  # the full range is implicit
