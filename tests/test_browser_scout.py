"""What a scout reads, in a real browser (gunicorn + headless Chromium, as tests/test_browser.py starts them):
the navbar search finds a track by a misspelt title from any page; the Track page gives its reasons in words
with values and points; no grid header is cut off at 1440x900 or 390x844; every grid exports to CSV.

    pytest -m browser tests/test_browser_scout.py
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from sqlalchemy import text

from dashboard import glossary
from tests.test_browser import VIEWPORTS, browser, seeded, server, settle, signed_in_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

GRIDS_OF = {  # page -> the grids (or, on Morning, the server-drawn tables) it shows; ana watches nothing
    "morning": ["morning-emerging", "morning-risers", "morning-alerts-grid"],
    "artists": ["artists-grid"],
    "artist": ["artist-releases"],
    "model": ["model-metrics", "model-versions"],
    "admin": ["admin-runs", "admin-deliveries"],
    "track": ["track-similar"],
    "discover": ["discover-segment", "discover-underperformers", "discover-ideas", "playlist-grid"],
}


def ready(name: str) -> str:
    """What shows a page's lists are drawn: Morning's first table row, else the first grid's header."""
    first = GRIDS_OF[name][0]
    return f"#{first} tbody tr" if name == "morning" else f"#{first} .ag-header-cell-text"


def wait_for_every_list(page: Any, list_ids: list[str], timeout_ms: int = 15_000) -> None:
    """Until each of `list_ids` holds a drawn grid or table (dash-ag-grid's chunk loads on demand, so a grid
    lower on the page may be drawn after the first one), or the timeout: the caller's assertion then names
    what is missing."""
    try:
        page.wait_for_function(
            "ids => ids.every(id => document.querySelector(`#${id} .ag-root-wrapper, #${id} .short-table`))",
            arg=list_ids, timeout=timeout_ms,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 (Playwright's TimeoutError): the assertion after it reports
        pass


def one(seeded: dict[str, Any], sql: str, **params: object) -> Any:  # noqa: F811
    with seeded["engine"].connect() as conn:
        return conn.execute(text(sql), params).one()


def paths(seeded: dict[str, Any]) -> dict[str, str]:  # noqa: F811
    track = one(seeded, "SELECT track_id FROM agg_track_scores ORDER BY probability DESC LIMIT 1")[0]
    artist = one(seeded, "SELECT artist_id FROM agg_track_scores GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0]
    return {"morning": "/", "artists": "/artists", "artist": f"/artist/{artist}", "track": f"/track/{track}",
            "seasonality": "/seasonality", "model": "/model", "admin": "/admin", "discover": "/discover"}  # fmt: skip


def test_navbar_search_finds_a_track_by_a_misspelt_title(browser: Any, server: str, seeded: dict[str, Any]) -> None:  # noqa: F811
    track_id, title, artist = one(
        seeded,
        "SELECT s.track_id, s.name, s.artist_name FROM agg_track_scores s ORDER BY s.probability DESC LIMIT 1",
    )
    typo = title[:2] + title[3] + title[2] + title[4:]  # swap two letters of the title
    assert typo.lower() != title.lower()
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/seasonality")  # any page: the box is in the navbar
    settle(page)
    page.fill("#app-nav-search", typo)
    hits = page.locator("#app-nav-search-results a.search-hit")
    hits.first.wait_for()
    first = hits.first.inner_text()
    assert first.startswith("track") and title in first and f"by {artist}" in first  # the song, not an artist
    assert page.locator("#app-nav-search-results a.search-hit", has_text=track_id).count() == 1
    page.locator("#app-nav-search-results a.search-hit", has_text=track_id).click()
    page.wait_for_url(f"{server}/track/{track_id}")
    page.wait_for_selector("#track-reasons li")
    assert title in page.inner_text("#track-header")
    page.context.close()


def test_track_page_shows_reasons_in_words_with_values(browser: Any, server: str, seeded: dict[str, Any]) -> None:  # noqa: F811
    track_id, probability, contributions, values = one(
        seeded,
        "SELECT track_id, probability, contributions, feature_values FROM agg_track_scores"
        " ORDER BY probability DESC LIMIT 1",
    )
    contributions = contributions if isinstance(contributions, dict) else json.loads(contributions)
    feature, push = max(((k, v) for k, v in contributions.items() if k != "bias"), key=lambda kv: abs(kv[1]))
    logit = math.log(probability / (1 - probability))
    effect = (probability - 1 / (1 + math.exp(-(logit - push)))) * 100
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/track/{track_id}")
    page.wait_for_selector("#track-reasons li")
    reasons = page.locator("#track-reasons li").all_inner_texts()
    top = reasons[0]
    phrase = glossary.term(feature).phrase(values[feature])
    assert top.split("\n")[0].strip() == phrase and any(ch.isdigit() for ch in phrase)  # words, with the value
    assert top.strip().endswith(f"{effect:+.0f} pts"), (top, effect)
    assert not any(name in " ".join(reasons) for name in contributions if name != "bias")  # no raw feature ids
    assert f"{probability * 100:.1f}%" in page.inner_text("#track-header")
    assert not page.locator("#track-waterfall").is_visible()
    page.click("#track-exact summary")  # the exact contributions are one click away
    page.wait_for_selector("#track-waterfall .js-plotly-plot", state="visible")
    page.context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_grid_header_is_cut_off(browser: Any, server: str, seeded: dict[str, Any], viewport: str) -> None:  # noqa: F811
    page = signed_in_page(browser, server, "ana", viewport)
    cut: dict[str, list[str]] = {}
    for name, path in paths(seeded).items():
        page.goto(f"{server}{path}")
        if name in GRIDS_OF:
            page.wait_for_selector(ready(name))
        settle(page)
        # cut off: the text overflows its cell, or a word is broken over two lines ("Populari/ty")
        cut[name] = page.evaluate(
            """() => [...document.querySelectorAll('.ag-header-cell-text')]
                 .filter(el => el.offsetParent !== null && el.textContent.trim())
                 .filter(el => {
                     const words = el.textContent.trim().split(/\\s+/).length;
                     const lines = Math.round(el.getBoundingClientRect().height
                                              / parseFloat(getComputedStyle(el).lineHeight));
                     return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1
                            || lines > words;
                 })
                 .map(el => el.textContent.trim())"""
        )
    assert {name: headers for name, headers in cut.items() if headers} == {}
    page.goto(f"{server}/seasonality")
    page.wait_for_selector("#season-bars .modebar-container", state="attached")
    shown = page.evaluate("getComputedStyle(document.querySelector('#season-bars .modebar-container')).display")
    assert (shown == "none") == (viewport == "phone")  # Plotly's mode bar would cover chart titles on a phone


@pytest.mark.parametrize("name", list(GRIDS_OF))
def test_every_grid_has_an_export(browser: Any, server: str, seeded: dict[str, Any], name: str) -> None:  # noqa: F811
    page = signed_in_page(browser, server, "ana")
    page.goto(f"{server}{paths(seeded)[name]}")
    page.wait_for_selector(ready(name))
    wait_for_every_list(page, GRIDS_OF[name])
    settle(page)
    shown = page.evaluate(
        """() => [...document.querySelectorAll('.ag-root-wrapper')].map(el => el.closest('[id]').id)
                 .concat([...document.querySelectorAll('.short-table')].map(el => el.parentElement.parentElement.id))"""
    )
    assert sorted(shown) == sorted(GRIDS_OF[name])
    for grid_id in shown:
        button = page.locator(".card", has=page.locator(f"#{grid_id}")).last.get_by_role("button", name="Export CSV")
        assert button.count() == 1, f"{grid_id} has no export of its own"
        with page.expect_download() as download:
            button.click()
        assert download.value.suggested_filename.endswith(".csv")
    page.context.close()


def test_morning_lists_sort_and_turn_pages(browser: Any, server: str) -> None:  # noqa: F811
    """Morning's tables (dashboard/short_table.py) sort as the grids did: highest hit probability first; a
    header click sorts by it, a second reverses; Next shows the following rows."""
    page = signed_in_page(browser, server, "bo")
    table = "#morning-emerging"

    def column(index: int) -> list[str]:
        return page.locator(f"{table} tbody tr td:nth-child({index})").all_inner_texts()

    page.wait_for_selector(f"{table} tbody tr")
    # Sparklines are inline SVG lines, not SVG images (an image document each: dashboard/short_rows.py).
    lines = page.locator(f"{table} tbody td svg.sparkline polyline")
    assert lines.count() > 0 and page.locator(f"{table} tbody img").count() == 0
    assert lines.first.get_attribute("stroke") in ("#198754", "#dc3545")
    shown = [float(text.rstrip("%")) for text in column(2)]
    assert shown == sorted(shown, reverse=True) and len(shown) == 20
    first_page = column(1)
    page.locator(f"{table} th button", has_text="Δ 7d").click()
    page.wait_for_selector(f"{table} th[aria-sort=descending] >> text=Δ 7d")
    change = [float(text) for text in column(3)]
    assert change == sorted(change, reverse=True)
    page.locator(f"{table} th button", has_text="Δ 7d").click()
    page.wait_for_selector(f"{table} th[aria-sort=ascending] >> text=Δ 7d")
    rising = [float(text) for text in column(3)]  # the lowest changes of the whole list, lowest first
    assert rising == sorted(rising) and rising[0] <= change[-1]
    page.locator(f"{table} th button", has_text="Hit prob.").click()  # numbers start highest first
    page.wait_for_selector(f"{table} th[aria-sort=descending] >> text=Hit prob.")
    assert column(1) == first_page
    page.locator(f"{table} button", has_text="Next").click()
    page.wait_for_selector(f"{table} >> text=21 to ")
    assert column(1) != first_page
    page.locator(f"{table} tbody a").first.click()  # a name links to its page
    page.wait_for_url(f"{server}/track/**")
    page.context.close()


@pytest.mark.parametrize("name", ["morning", "artists", "artist", "track", "seasonality", "model", "admin", "discover"])
def test_no_page_scrolls_sideways_on_a_phone(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
    name: str,
) -> None:
    """At 390 px no page is wider than the screen: a wide grid or chart scrolls inside its own card instead (a
    Morning row's gutter once stuck out 4 px past it)."""
    page = signed_in_page(browser, server, "ana", "phone")  # an admin: Admin shows its grids
    page.goto(f"{server}{paths(seeded)[name]}")
    if name == "morning":
        page.wait_for_selector("#morning-risers tbody tr")
    settle(page)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
                 .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                               && getComputedStyle(el).position !== 'fixed')
                 .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
                 .slice(0, 5).map(el => el.tagName + '#' + el.id + '.' + el.className)"""
    )
    assert widths[0] <= widths[1], f"{name}: {widths[0]} px wide on a {widths[1]} px screen: {wide}"
    page.context.close()
