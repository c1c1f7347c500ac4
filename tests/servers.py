"""Real processes for end-to-end tests: a private embedded PostgreSQL we may stop, and gunicorn on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def gunicorn(
    database_url: str, *, workers: int = 2, log: Path | None = None, access_log: Path | None = None, **env: str
) -> Iterator[str]:
    """Serve `dashboard.wsgi:server` against `database_url`; yield the base URL; stop it afterwards.

    `log`: a file that receives the server's stderr (the app's log lines), for tests that read them.
    `access_log`: gunicorn's access log (the Procfile's `--access-logfile`) written to this file.
    """
    port = free_port()
    stderr = log.open("w") if log else None
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi:server", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
         *(["--access-logfile", str(access_log)] if access_log else [])],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", **env}, stderr=stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/healthz")
        yield base
    finally:
        process.terminate()
        process.wait(30)
        if stderr:
            stderr.close()
