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
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
            )
        ).scalar()
        if tables:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The engine, with every table emptied after the test (for tests that must commit)."""
    truncate_all(engine)
    yield engine
    truncate_all(engine)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (a fresh clone has no ../shared; CI has it)")
    return SHARED_DATA
