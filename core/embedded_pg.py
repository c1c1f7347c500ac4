"""The embedded PostgreSQL (the `pgserver` wheel) for a machine with no `DATABASE_URL`.

Its data lives in a git-ignored folder of the project, so a second `make demo` reuses it.

    python -m core.embedded_pg url    # start it if needed, print its SQLAlchemy URL
    python -m core.embedded_pg stop   # stop it
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.settings import normalise_database_url

logger = logging.getLogger(__name__)


def ensure_embedded_server(pgdata: Path) -> str:
    """Start (or reuse) the embedded server whose data is in `pgdata`; return its URL. It outlives this process."""
    import pgserver

    pgdata = pgdata.resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    with server._lock:  # pgserver caches one handle per folder: start it again if it was stopped meanwhile
        server.ensure_postgres_running()
    return normalise_database_url(server.get_uri())


def stop_embedded_server(pgdata: Path) -> None:
    """Stop the embedded server if it is running (`pg_ctl stop`)."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # generated at import

    pgdata = pgdata.resolve()
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "pgserver" if _is_root() else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["url", "stop"])
    parser.add_argument("--pgdata", default=".pgdata")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.action == "url":
        sys.stdout.write(ensure_embedded_server(Path(args.pgdata)) + "\n")
    else:
        stop_embedded_server(Path(args.pgdata))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
