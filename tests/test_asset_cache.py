"""Versioned assets are cached for a year (dashboard/asset_cache.py); unversioned ones and pages are not.

python -m pytest -n 0 tests/test_asset_cache.py -q
"""

from __future__ import annotations

import re

from dash import Dash, html

from dashboard.app import HERE
from dashboard.asset_cache import YEAR, install_asset_caching
from tests.dashboard_support import keeping_page_callbacks


def test_versioned_assets_are_immutable_and_the_rest_is_revalidated() -> None:
    with keeping_page_callbacks():
        check_asset_caching()


def check_asset_caching() -> None:
    app = Dash(__name__, assets_folder=str(HERE / "assets"))
    app.layout = html.Div("x")
    install_asset_caching(app)
    client = app.server.test_client()
    page = client.get("/")
    linked = re.findall(r'"(/assets/[^"]+\?m=[^"]+)"', page.get_data(as_text=True))
    assert any("app.css" in url for url in linked)  # what the index links is versioned
    for url in linked:
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age == YEAR and response.cache_control.immutable, url
        assert response.cache_control.public and not response.cache_control.no_cache, url
    assert client.get("/assets/app.css").cache_control.no_cache  # no version: asked again each time
    assert page.cache_control.max_age is None  # the page itself is never kept
