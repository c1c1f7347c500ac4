"""The first `_dash-layout` answer already holds the page the browser is on (dashboard/first_page.py), routed
from its Referer as Dash's router does; without a usable Referer, or without a database, it is Dash's own empty
container and the router draws the page as before. In Chromium: tests/test_browser_first_page.py.

    python -m pytest -n 0 tests/test_first_page.py -q
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from dashboard import ids
from tests.test_dashboard_pages import seeded, signed_in_client  # noqa: F401  (fixture)
from tests.web_support import find_props


def first_layout(client: FlaskClient, referer: str | None) -> dict[str, Any]:
    """The `_dash-layout` answer, asked as the browser asks it from the page at `referer`."""
    response = client.get("/_dash-layout", headers={"Referer": referer} if referer else {})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"  # it depends on the page and the user
    assert {"Referer", "Cookie"} <= set(response.vary)
    return response.get_json()


@pytest.mark.parametrize(
    ("path", "wanted"),
    [("/?window=28", ids.MORNING_RISERS), ("/artists?genre=pop", ids.ARTISTS_GRAPH), ("/no/such", None)],
)
def test_the_first_layout_already_holds_the_page_the_browser_is_on(
    seeded: Engine,  # noqa: F811
    path: str,
    wanted: str,
) -> None:
    """dashboard/first_page.py: no router round trip after a page load; its Location is filled in (so mounting it
    fires nothing) and says which address the page was built for (the browser checks it)."""
    layout = first_layout(signed_in_client("bo"), f"http://localhost{path}")
    pathname, _, query = path.partition("?")
    location = find_props(layout, "_pages_location")
    assert (location["pathname"], location["search"]) == (pathname, f"?{query}" if query else "")
    assert find_props(layout, "_pages_store")["data"]["built_for"] == path
    content = json.dumps(find_props(layout, "_pages_content"))
    assert (wanted in content) if wanted else "No page lives at this address" in content
    if path.startswith("/?window=28"):
        assert find_props(layout, ids.MORNING_RISER_WINDOW)["value"] == "28"  # the query reached the page


@pytest.mark.parametrize("referer", [None, "http://elsewhere.example/artists", "not a url", "http://localhost"])
def test_without_a_usable_referer_the_router_draws_the_page_as_before(
    seeded: Engine,  # noqa: F811
    referer: str | None,
) -> None:
    layout = first_layout(signed_in_client("bo"), referer)
    assert find_props(layout, "_pages_content").get("children") is None
    assert find_props(layout, "_pages_location").get("pathname") is None  # mounting it fires the router


def test_without_a_database_the_router_draws_the_page(
    seeded: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboard import first_page
    from dashboard.db import DataUnavailable

    def broken(pathname: str, search: str) -> None:
        raise DataUnavailable("down")

    monkeypatch.setattr(first_page, "route", broken)
    layout = first_layout(signed_in_client("bo"), "http://localhost/")
    assert find_props(layout, "_pages_content").get("children") is None


@pytest.mark.parametrize(
    "path",
    ["/track/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/artist/" + "x" * 5000, "/?window=%00&genre=' OR 1=1 --",
     "/artists?genre=" + "é" * 300, "/../../etc/passwd"],
)  # fmt: skip
def test_a_hostile_referer_gives_a_page_or_the_404_never_an_error(
    seeded: Engine,  # noqa: F811
    path: str,
) -> None:
    layout = first_layout(signed_in_client("bo"), f"http://localhost{path}")
    content = json.dumps(find_props(layout, "_pages_content"))
    assert content != "{}" and "Traceback" not in content  # a page (or the 404) was drawn, no error
    assert "dangerously_allow_html" not in content  # what the address says is text for React, never markup


def test_the_early_requests_script_is_the_first_script_after_dashs_config(seeded: Engine) -> None:  # noqa: F811
    """dashboard/app.py: the page's layout and dependencies are asked before React and every bundle is evaluated
    (dashboard/assets/earlyRequests.js reads Dash's config, so it comes right after it)."""
    page = signed_in_client("bo").get("/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert scripts[0].startswith("/assets/earlyRequests.js?m=")
    assert page.index('id="_dash-config"') < page.index(scripts[0]) < page.index("react@")
    assert sum("earlyRequests" in src for src in scripts) == 1


def test_morning_is_read_in_one_snapshot_and_a_new_publication_shows_at_once(seeded: Engine) -> None:  # noqa: F811
    """dashboard/db.py: Morning's parts (freshness, last run, lists, watchlist) join one read-only transaction
    and read the newest publication once in it; nothing outlives the request (the next layout sees a newer one)."""
    from dashboard.db import get_web_engine
    from tests.dashboard_support import newer_publication

    client = signed_in_client("bo")
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(get_web_engine(), "before_cursor_execute", note)
    try:
        for _ in range(2):  # the lists' queries, then (warm: dashboard/publication_cache.py) none of them
            sent.clear()
            first_layout(client, "http://localhost/")
            assert sum(s == "SET TRANSACTION READ ONLY" for s in sent) == 1, sent
            assert sum(s.startswith("SELECT publication_id, run_id, snapshot_date") for s in sent) == 1, sent
        # Warm: the session's check, then one transaction: publication, two last runs, the run's outcome, a
        # training in progress (nothing is scored here), the active model, the watchlist (3 transactions before).
        assert len(sent) == 9, sent
        with newer_publication(seeded) as pid:
            layout = first_layout(client, "http://localhost/")
            assert f"run #{pid}" not in json.dumps(layout)  # (the copy keeps the run's number)
            assert "No track scores in this publication" in json.dumps(layout)  # the newer, empty one is shown
    finally:
        event.remove(get_web_engine(), "before_cursor_execute", note)
