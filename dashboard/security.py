"""Security headers on every response of the dashboard (pages, Dash requests, assets, /login, /healthz).

- A Content-Security-Policy that Dash works with: scripts only from this site plus the sha256 hashes of
  Dash's own inline scripts (the renderer start-up and clientside callbacks, from `Dash.csp_hashes()`).
  No 'unsafe-eval' and no inline scripts: the plotly.js bundled with Dash 4 draws our bar, line, heatmap
  and waterfall charts without eval. Styles may be inline (plotly, dash-ag-grid and React set style
  attributes). Images from this site, plus https on exactly the ARTWORK_HOSTS (artist and track artwork,
  core/artwork.py). No frames, no plugins, forms post only here.
  tests/test_browser_security.py loads every page in Chromium with this policy and fails on any violation.
- `X-Frame-Options: DENY` next to `frame-ancestors 'none'` (older browsers), `X-Content-Type-Options:
  nosniff`, `Referrer-Policy: same-origin`, and HSTS when APP_ENV=production (served behind TLS there).
- Error pages are plain: Flask's debugger is never on outside `python -m dashboard` in development.
"""

from __future__ import annotations

import functools

from dash import Dash
from flask import Response

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: list[str], image_hosts: tuple[str, ...] = ()) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *(f"https://{host}" for host in image_hosts)],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install_security_headers(app: Dash, *, production: bool, image_hosts: tuple[str, ...] = ()) -> None:
    """Add the headers to every response of `app.server`. Call after every callback is registered."""

    @functools.cache
    def policy() -> str:  # computed at the first response, when every page's callbacks exist
        return content_security_policy(app.csp_hashes(), image_hosts)

    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy())
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.server.after_request(add_headers)
