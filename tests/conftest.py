"""Shared fixtures: one throwaway PostgreSQL database per test run, migrated to head.

- `engine`: the migrated database; tests that commit (queues, locks, publishing) use it with `clean_db`.
- `conn`: a connection inside an outer transaction that is rolled back after the test.
- `shared_data`: the path of ../shared/data (or $SHARED_DATA), or a skip with the reason when it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from core import migrations
from core.db import get_engine
from dashboard import publication_cache
from tests import pg

os.environ.setdefault("APP_ENV", "test")
# ../shared/data next to the checkout; SHARED_DATA overrides it (a git worktree elsewhere points at the real one).
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or Path(__file__).resolve().parent.parent.parent / "shared" / "data")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = pg.create_throwaway_database(pg.server_url())
    migrations.upgrade(get_engine(url))
    yield url
    get_engine(url).dispose()
    pg.drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


def truncate_all(engine: Engine) -> None:
    """Empty every table that holds a row, and restart every sequence.

    TRUNCATE costs about 10 ms a table whether or not it holds rows (new files for the table and its indexes), so
    truncating all of them was ~0.7 s, twice per test. Most tests fill a handful: one query finds which (an
    EXISTS probe per table, cheap on empty tables), and only those are truncated. Sequences are restarted
    separately, since an empty table's sequence may have moved (a rolled-back insert).
    """
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
                )
            )
            .scalars()
            .all()
        )
        if not tables:
            return
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
        filled = connection.execute(text(probe)).scalars().all()
        if filled:
            connection.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        connection.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
                " FROM pg_sequences WHERE schemaname = 'public'"
            )
        )


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The engine, with every table emptied after the test (for tests that must commit)."""
    truncate_all(engine)
    yield engine
    truncate_all(engine)


@pytest.fixture(autouse=True)
def _fresh_publication_cache() -> None:
    """Tests rewrite a publication's rows in place (production never does): each test starts with an empty
    in-process cache of what callbacks built from a publication (dashboard/publication_cache.py)."""
    publication_cache.clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (a fresh clone has no ../shared; CI has it)")
    return SHARED_DATA
