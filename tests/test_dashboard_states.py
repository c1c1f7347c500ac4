"""Empty and error states: no publication yet, and a database that does not answer. Never a traceback."""

from __future__ import annotations

import importlib

from dash import no_update
from sqlalchemy import Engine

from dashboard.components import UNAVAILABLE
from dashboard.db import DataUnavailable, when_unavailable
from tests.dashboard_support import dash_app, dashboard_database, login, signed_in

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"  # port 9 (discard): nothing listens


def page(name: str):
    return importlib.import_module(f"dashboard.pages.{name}")


def test_no_publication_says_what_to_do(clean_db: Engine, database_url: str) -> None:
    with dashboard_database(database_url):
        dash_app()
        freshness, last_run = page("morning").render_morning(0)
        assert "python -m jobs backfill --days 90" in str(freshness.to_plotly_json()["props"]["children"])
        assert "No run has been recorded yet." in str(last_run.to_plotly_json())
        assert page("morning").render_lists(None, "7", "points")[5] is None  # no headline numbers
        alert, figure, _, grid_rows = page("artists").render_artists("pop", "level", 10)
        assert "No data published yet" in str(alert.to_plotly_json())
        assert figure.layout.annotations[0].text == "Nothing published yet." and grid_rows == []
        alert, _, bars, heatmap = page("seasonality").render_seasonality(None, None)
        assert "No data published yet" in str(alert.to_plotly_json()) and not bars.data and not heatmap.data
        health = dash_app().server.test_client().get("/healthz")
        assert health.status_code == 200 and health.get_json()["last_publication_age_seconds"] is None


def test_unreachable_database_is_data_temporarily_unavailable() -> None:
    with dashboard_database(UNREACHABLE):
        dash_app()
        freshness, _ = page("morning").render_morning(0)
        assert freshness.children == UNAVAILABLE
        alert, figure, _, _ = page("artists").render_artists(None, "level", 10)
        assert alert.children == UNAVAILABLE and figure.layout.annotations[0].text == "Data temporarily unavailable."
        alert, _, _, _ = page("seasonality").render_seasonality("pop", [2024, 2025])
        assert alert.children == UNAVAILABLE
        assert page("seasonality").season_options("/seasonality", None) == (no_update,) * 5  # the slider stays
        assert page("morning").render_lists(None, "7", "points")[0].children == UNAVAILABLE
        assert page("model").render_model(True)[0].children == UNAVAILABLE
        assert page("track").render_track("demo:t0000001")[0].children == UNAVAILABLE
        assert page("artist").render_artist("demo:a000001")[0].children == UNAVAILABLE
        assert UNAVAILABLE in str(page("discover").layout().to_plotly_json())  # a layout that reads the database
        with signed_in("ana"):
            queue, _, _, _ = page("admin").render_runs(0, None)
        assert queue.children == UNAVAILABLE
        client = dash_app().server.test_client()
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] is False
        assert login(client, "ana") == 503  # sign-in needs the attempts table: it says so, no traceback


def test_when_unavailable_returns_a_fresh_fallback_only_when_the_database_did_not_answer() -> None:
    calls: list[str] = []

    @when_unavailable(lambda: calls.append("fallback") or ["fallback"])
    def view(fail: bool) -> list[str]:
        """A view."""
        if fail:
            raise DataUnavailable("down")
        return ["shown"]

    assert view(False) == ["shown"] and calls == []
    first, second = view(True), view(True)
    assert first == second == ["fallback"] and first is not second and calls == ["fallback", "fallback"]
    assert view.__name__ == "view" and view.__doc__ == "A view."  # Dash and the docs still see the function
