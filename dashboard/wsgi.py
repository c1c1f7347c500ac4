"""The WSGI entry point gunicorn serves: `gunicorn dashboard.wsgi:server` (see Procfile).

Importing this builds the app and configures logging, but opens no database connection: the engine is
created inside the first request of each forked worker.
"""

from __future__ import annotations

from core.logs import configure_logging
from core.settings import get_settings
from dashboard.app import create_app

configure_logging(get_settings().LOG_LEVEL)
app = create_app()
server = app.server
