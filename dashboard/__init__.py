"""The Dash app the A&R team opens: pages/ (one module per page), queries (every SELECT), figures (pure).

It reads only published tables and imports nothing of `jobs` or `model`. Serve it with
`gunicorn dashboard.wsgi:server`, or for development `python -m dashboard` (http://127.0.0.1:8050).
"""
