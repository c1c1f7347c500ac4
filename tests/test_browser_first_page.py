"""A page load in a real browser draws the page from the first layout, with no callback (dashboard/first_page.py),
and still lands on the right page when the layout was built for another address (a browser that trims the
Referer): the check in the browser hands it to Dash's router. Navigation inside the app still works.

    pytest -m browser tests/test_browser_first_page.py
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import browser, seeded, server, settle, signed_in_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def callbacks_during(page: Any, action: Any) -> list[str]:
    """The `_dash-update-component` requests sent while `action()` runs and the page settles."""
    sent: list[str] = []

    def note(request: Any) -> None:
        if "_dash-update-component" in request.url:
            sent.append(request.url)

    page.on("request", note)
    try:
        action()
        settle(page)
    finally:
        page.remove_listener("request", note)
    return sent


def test_morning_loads_with_no_callback_and_links_still_route(browser: Any, server: str) -> None:  # noqa: F811
    page = signed_in_page(browser, server, "bo")
    page.goto("about:blank")
    sent = callbacks_during(
        page, lambda: (page.goto(f"{server}/?window=28"), page.wait_for_selector("#morning-risers tbody tr"))
    )
    assert sent == []
    assert page.is_checked("#morning-riser-window input[value='28']")  # the URL's filter reached the page
    page.get_by_role("link", name="Artists").first.click()  # client-side navigation: Dash's router
    page.wait_for_selector("#artists-graph .js-plotly-plot")
    assert page.url == f"{server}/artists" and page.title().endswith("Artists")
    page.go_back()
    page.wait_for_selector("#morning-risers tbody tr")
    page.context.close()


def test_a_layout_built_for_another_address_is_redrawn_by_the_router(browser: Any, server: str) -> None:  # noqa: F811
    page = signed_in_page(browser, server, "bo")
    served: list[str] = []

    def trimmed_referer(route: Any) -> None:  # fetched outside the browser, which would restore the Referer
        response = route.fetch(headers={**route.request.headers, "referer": f"{server}/seasonality"})
        served.append(response.text())
        route.fulfill(response=response)

    page.route("**/_dash-layout", trimmed_referer)
    page.goto(f"{server}/?window=28")
    page.wait_for_selector("#morning-risers tbody tr")  # Morning, though the layout held Seasonality
    settle(page)
    assert len(served) == 1 and "season-heatmap" in served[0] and "morning-risers" not in served[0]
    assert page.locator("#season-heatmap").count() == 0
    assert page.is_checked("#morning-riser-window input[value='28']")
    page.context.close()


def test_the_layout_and_dependencies_are_asked_once_before_the_renderer_runs(browser: Any, server: str) -> None:  # noqa: F811
    """dashboard/assets/earlyRequests.js sends `_dash-layout` and `_dash-dependencies` before dash-renderer has
    run, and the renderer draws the page from those answers: one request each a load, not a second one."""
    page = signed_in_page(browser, server, "bo")
    page.goto("about:blank")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url.rsplit("/", 1)[-1].split("?")[0]))
    page.goto(f"{server}/")
    page.wait_for_selector("#morning-risers tbody tr")
    settle(page)
    assert asked.count("_dash-layout") == 1 and asked.count("_dash-dependencies") == 1
    sent, scripts_done = page.evaluate(
        """() => [performance.getEntriesByType('resource').find(r => r.name.endsWith('/_dash-layout')).startTime,
                  performance.getEntriesByType('navigation')[0].domContentLoadedEventStart]"""
    )
    assert sent < scripts_done  # asked while the bundles were still running (the renderer asks after them)
    page.get_by_role("link", name="Artists").first.click()  # later requests go out as usual
    page.wait_for_selector("#artists-graph .js-plotly-plot")
    page.context.close()
