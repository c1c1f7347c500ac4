"""In headless Chromium against gunicorn: imported names cannot become spreadsheet formulas or chart links.

The database holds artists named like formulas (`=HYPERLINK(...)`, `+SUM(...)`, `-2+3`, `@SUM(...)`, a leading
tab or CR) and one named `<a href="https://evil.example/x">Evil Link</a>`, all of one genre so one page shows
them. The Artists page's real export is downloaded and read: every such cell starts with a single quote, and
numbers (negative changes included) stay numbers. Its bar chart shows the link's name as text, with no live
link anywhere in the chart's DOM.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dashboard import formats
from jobs.lock import exclusive_run
from jobs.pipeline import RunConfig, backfill
from jobs.sources.base import DailySource, SourceBatch
from jobs.sources.demo import DemoSource
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import PASSWORDS, users_setting
from tests.servers import gunicorn

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
GENRE = "hostilegenre"
LINK_NAME = '<a href="https://evil.example/x">Evil Link</a>'
FORMULA_NAMES = ['=HYPERLINK("https://evil.example/","click")', "+SUM(1,2)", "-2+3", "@SUM(A1:A2)",
                 "\t=1+1 tabbed", "cr-placeholder"]  # fmt: skip
CR_NAME = "\r=1+1 returned"  # written to the published table directly: the loader's COPY refuses a bare CR


@dataclass
class FormulaNames(DailySource):
    """The demo source with its first artists renamed to formulas and a link, all moved to one genre."""

    inner: DemoSource
    name: str = "demo"
    is_demo: bool = True

    def extract(self, snapshot_date: date) -> SourceBatch:
        batch = self.inner.extract(snapshot_date)
        names = [*FORMULA_NAMES, LINK_NAME]
        if len(batch.artists) >= len(names):
            index = batch.artists.index[: len(names)]
            batch.artists.loc[index, "name"] = names
            batch.artists.loc[index, "genre"] = GENRE
            renamed = set(batch.artists.loc[index, "artist_id"])
            genres = batch.artist_genres
            batch.artist_genres.loc[genres["artist_id"].isin(renamed), "genre"] = GENRE
        return batch


@pytest.fixture(scope="module")
def site(engine: Engine, database_url: str) -> Iterator[dict[str, Any]]:
    start_clean(engine)
    with exclusive_run(engine):
        backfill(engine, FormulaNames(DemoSource(n_artists=60)), end_date=date(2025, 6, 30), days=8,
                 trigger="cli", requested_by="tests", config=RunConfig())  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("UPDATE agg_artist_leaderboard SET name = :cr WHERE name = 'cr-placeholder'"),
                     {"cr": CR_NAME})  # fmt: skip
        names = conn.execute(text("SELECT name FROM agg_artist_leaderboard WHERE genre = :g"), {"g": GENRE}).scalars()
        stored = sorted(names)
    with gunicorn(database_url, workers=1, DASHBOARD_USERS=users_setting()) as base:
        yield {"base": base, "names": stored}
    reset_database(engine)


@pytest.fixture(scope="module")
def page(site: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.goto(site["base"] + "/login")
        page.fill("input[name=username]", "bo")
        page.fill("input[name=password]", PASSWORDS["bo"])
        page.click("button[type=submit]")
        page.wait_for_url(site["base"] + "/")
        page.goto(f"{site['base']}/artists?genre={GENRE}")
        page.wait_for_selector("#artists-grid .ag-row")
        page.wait_for_selector("#artists-graph .main-svg")
        page.wait_for_load_state("networkidle")
        yield page
        browser.close()


def test_csv_export_neutralises_formulas(site: dict[str, Any], page: Any, tmp_path: Path) -> None:
    assert len(site["names"]) == len(FORMULA_NAMES) + 1, "the renamed artists were published"
    with page.expect_download() as download:
        page.click("#artists-export")
    target = tmp_path / "artists.csv"
    download.value.save_as(target)
    with target.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    exported = sorted(row["Artist"] for row in rows)
    expected = sorted("'" + name if name[0] in "=+-@\t\r" else name for name in site["names"])
    assert exported == expected
    assert {row["Genre"] for row in rows} == {formats.genre(GENRE)}  # as the grid shows it
    cells = [value for row in rows for key, value in row.items() if key != "Artist"]
    assert not [cell for cell in cells if cell.startswith("'")]  # numbers and genres are left alone
    changes = [row["Δ 7d (pts)"] for row in rows] + [row["Δ 28d (pts)"] for row in rows]
    assert all(cell == "" or float(cell) == float(cell) for cell in changes)  # still plain numbers


def test_html_in_names_is_text_in_charts(page: Any) -> None:
    links = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot a')].map(a => a.outerHTML)")
    assert links == [], "a name became a live link in the chart"
    labels = page.evaluate("() => [...document.querySelectorAll('#artists-graph text')].map(t => t.textContent)")
    assert LINK_NAME in labels  # the literal name, shown as text
    assert "Evil Link" not in labels


def test_export_holds_every_row_not_just_the_loaded_blocks(site: dict[str, Any], page: Any, tmp_path: Path) -> None:
    """The grid holds one block of 20 (infinite row model); the server-side export holds all 60 artists."""
    page.goto(f"{site['base']}/artists")
    page.wait_for_selector("#artists-grid .ag-row")
    page.wait_for_load_state("networkidle")
    loaded = page.evaluate("() => dash_ag_grid.getApi('artists-grid').getDisplayedRowCount()")
    with page.expect_download() as download:
        page.click("#artists-export")
    target = tmp_path / "all.csv"
    download.value.save_as(target)
    with target.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert loaded <= 40 < len(rows) == 60
    assert len({row["Genre"] for row in rows}) > 1


def test_changing_the_order_reloads_the_server_side_grid(site: dict[str, Any], page: Any, engine: Engine) -> None:
    """The grid's block cache is purged when a control changes: its first row follows the new order."""
    page.goto(f"{site['base']}/artists")
    page.wait_for_selector("#artists-grid .ag-row")
    with engine.connect() as conn:
        top7 = conn.execute(
            text("SELECT name FROM agg_artist_leaderboard WHERE popularity_7d IS NOT NULL"
                 " ORDER BY popularity_7d DESC NULLS LAST, artist_id LIMIT 1")
        ).scalar_one()  # fmt: skip
    first = "() => dash_ag_grid.getApi('artists-grid').getDisplayedRowAtIndex(0)?.data?.name"
    assert page.evaluate(first) != top7
    page.get_by_label("Growth, 7 days").check()
    page.wait_for_function(f"() => ({first})() === {json.dumps(top7)}", timeout=15_000)
