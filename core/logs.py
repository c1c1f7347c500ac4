"""Logging set-up, called once by each entry point (web, worker, CLI).

Every record is one line: control characters in the message (a newline in a crafted pathname or user name)
are written escaped (`\\n`), and the lines of a traceback are indented, so no value can forge a log line.
Secrets are redacted (`redact`).
"""

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


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


class EscapeControlCharacters(logging.Filter):
    """Write newlines, carriage returns and other control characters of a message as escapes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape_control(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return True


def escape_control(text: str) -> str:
    """`text` with C0 control characters and DEL written as `\\n`, `\\r`, `\\t`, `\\x1b`..."""
    return text.translate(_CONTROL)


class OneLineFormatter(logging.Formatter):
    """Indent every continuation line (tracebacks): a line that starts at column 0 is always a new record."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\n    ")


def redact(text: str) -> str:
    """Return `text` with secrets replaced by `***`."""
    text = _SECRET_PATTERNS[0].sub(r"\1=***", text)
    text = _SECRET_PATTERNS[1].sub(r"\1 ***", text)
    return _SECRET_PATTERNS[2].sub(r"\1***@", text)


def configure_logging(level: str = "INFO") -> None:
    """Send log lines to stderr with a timestamp and logger name; redact secrets."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(EscapeControlCharacters())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler.executors.default", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
