"""Development server: `python -m dashboard` (http://127.0.0.1:8050). Production uses gunicorn (Procfile)."""

from __future__ import annotations

from core.logs import configure_logging
from core.settings import get_settings
from dashboard.app import create_app


def main() -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    create_app().run(host="127.0.0.1", port=settings.PORT, debug=settings.APP_ENV == "development")


if __name__ == "__main__":
    main()
