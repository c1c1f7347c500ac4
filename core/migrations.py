"""Apply the versioned SQL migrations in `sql/versions/` safely from any process.

Each file `NNNN_name.sql` has a `-- migrate:up` and a `-- migrate:down` section. `upgrade` takes a
transaction-scoped advisory lock first, so two processes starting at once apply each migration once:
the second waits, then finds nothing to do. PostgreSQL DDL is transactional, so a failed migration
leaves the schema as it was.

    python -m jobs migrate          # what the Procfile's `release` line runs
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

logger = logging.getLogger(__name__)

VERSIONS_DIR = Path(__file__).resolve().parent.parent / "sql" / "versions"
MIGRATION_LOCK_KEY = 7_270_001
_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    up: str
    down: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.up.encode()).hexdigest()[:16]


def discover(directory: Path = VERSIONS_DIR) -> list[Migration]:
    """Every migration file in version order; a file without both sections is an error, not a skip."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        body = path.read_text()
        if "-- migrate:up" not in body or "-- migrate:down" not in body:
            raise ValueError(f"{path.name}: needs a '-- migrate:up' and a '-- migrate:down' section")
        up, down = body.split("-- migrate:down", 1)
        migrations.append(Migration(match[1], match[2], up.split("-- migrate:up", 1)[1].strip(), down.strip()))
    return migrations


def _prepare(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    )


def applied_versions(conn: Connection) -> dict[str, str]:
    rows = conn.execute(text("SELECT version, checksum FROM schema_migrations ORDER BY version"))
    return {str(version): str(checksum) for version, checksum in rows}


def _run_script(conn: Connection, sql: str) -> None:
    # exec_driver_sql sends the script as-is: psycopg runs several statements in one call.
    if sql:
        conn.exec_driver_sql(sql)


def upgrade(engine: Engine, *, directory: Path = VERSIONS_DIR) -> list[str]:
    """Apply every pending migration in one transaction; return the versions applied (empty if none)."""
    migrations = discover(directory)
    with engine.begin() as conn:
        _prepare(conn)
        done = applied_versions(conn)
        for version, checksum in done.items():
            known = next((m for m in migrations if m.version == version), None)
            if known and known.checksum != checksum:
                logger.warning("migration %s was edited after it was applied", version)
        pending = [m for m in migrations if m.version not in done]
        for migration in pending:
            logger.info("applying migration %s_%s", migration.version, migration.name)
            _run_script(conn, migration.up)
            conn.execute(
                text("INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"),
                {"v": migration.version, "n": migration.name, "c": migration.checksum},
            )
    return [m.version for m in pending]


def downgrade(engine: Engine, *, to_version: str = "0000", directory: Path = VERSIONS_DIR) -> list[str]:
    """Revert applied migrations newer than `to_version`, newest first; return the versions reverted."""
    migrations = {m.version: m for m in discover(directory)}
    with engine.begin() as conn:
        _prepare(conn)
        reverted = []
        for version in sorted(applied_versions(conn), reverse=True):
            if version <= to_version:
                break
            logger.info("reverting migration %s", version)
            _run_script(conn, migrations[version].down)
            conn.execute(text("DELETE FROM schema_migrations WHERE version = :v"), {"v": version})
            reverted.append(version)
    return reverted
