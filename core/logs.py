"""Logging set-up, called once by each entry point (web, worker, CLI)."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(password|secret|token|api_key|client_secret)=([^&\s]+)"),
    re.compile(r"(?i)(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(postgres(?:ql)?(?:\+psycopg)?://[^:/@]+:)[^@]+@"),
]


class RedactSecrets(logging.Filter):
    """Blank out credentials in URLs, query strings and auth headers before they reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(text: str) -> str:
    """Return `text` with secrets replaced by `***`."""
    text = _SECRET_PATTERNS[0].sub(r"\1=***", text)
    text = _SECRET_PATTERNS[1].sub(r"\1 ***", text)
    return _SECRET_PATTERNS[2].sub(r"\1***@", text)


def configure_logging(level: str = "INFO") -> None:
    """Send log lines to stderr with a timestamp and logger name; redact secrets."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler.executors.default", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
