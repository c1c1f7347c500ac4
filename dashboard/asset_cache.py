"""Let browsers keep the app's own assets (Bootstrap, app.css, the grid renderers): a warm page load then asks
the server nothing for them, instead of one revalidation (a 304 round trip) per file per load.

Dash links every file under assets/ as `/assets/<file>?m=<modification time>`, so a changed file gets a new
URL: such a versioned URL is served `Cache-Control: public, max-age=31536000, immutable`, as Dash already serves
its fingerprinted component bundles. An asset asked without `m` keeps Flask's `no-cache`.

    install_asset_caching(app)   # dashboard/app.py
"""

from __future__ import annotations

from dash import Dash
from flask import Response, request

YEAR = 31_536_000


def install_asset_caching(app: Dash) -> None:
    prefix = app.get_asset_url("")  # "/assets/" under the app's path prefix

    def cache_versioned_assets(response: Response) -> Response:
        if response.status_code in (200, 304) and request.path.startswith(prefix) and request.args.get("m"):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response

    app.server.after_request(cache_versioned_assets)
