"""Shared fixtures: one throwaway PostgreSQL database per test run, migrated to head.

- `engine`: the migrated database; tests that commit (queues, locks, publishing) use it with `clean_db`, which
  gives it back as migration left it: a fresh copy of a template database (`reset_database`).
- `conn`: a connection inside an outer transaction that is rolled back after the test.
- `shared_data`: the path of ../shared/data (or $SHARED_DATA), or a skip with the reason when it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from core import migrations
from core.db import get_engine
from dashboard import publication_cache
from tests import pg

os.environ.setdefault("APP_ENV", "test")
# ../shared/data next to the checkout; SHARED_DATA overrides it (a git worktree elsewhere points at the real one).
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or Path(__file__).resolve().parent.parent.parent / "shared" / "data")


# The test database's URL -> the URL of the migrated, empty template it is cloned from (one pair per test process).
_TEMPLATES: dict[str, str] = {}
# Whether the test database is known to be as migration left it: set by a reset, cleared when a test that does
# not give it back (one using `engine` or `database_url` without `clean_db`) has used it.
_KNOWN_CLEAN = {"value": True}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a slow test first, then the browser files, then the rest; a file's tests stay in their order.

    `make test` runs the files on two processes (`--dist loadfile --no-loadscope-reorder` keeps this order), so
    the longest files start at once and none of them starts last, when the other process has nothing left to do.
    """
    rank: dict[Path, int] = {}
    for item in items:
        weight = 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("browser") else 2
        rank[item.path] = min(rank.get(item.path, 2), weight)
    items.sort(key=lambda item: rank[item.path])


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A migrated, empty database of this test process's own, cloned from a template migrated once."""
    server = pg.server_url()
    template = pg.create_throwaway_database(server)
    migrations.upgrade(get_engine(template))
    get_engine(template).dispose()  # a template must have no connections to be copied
    url = pg.create_throwaway_database(server, template=template)
    _TEMPLATES[url] = template
    yield url
    get_engine(url).dispose()
    pg.drop_database(url)
    pg.drop_database(template)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


def reset_database(engine: Engine) -> None:
    """Give the test database back the state it had after migration: drop it and clone it again from the template.

    Every test that commits leaves the database this way when it ends (`clean_db`), so the next test starts from
    a migrated, empty database whatever the last one did: rows, month partitions a load created, sequences,
    settings and statistics are the template's again (tests/pg.py `recreate_from_template`).
    """
    engine.dispose()
    url = engine.url.render_as_string(hide_password=False)
    pg.recreate_from_template(url, _TEMPLATES[url])
    _KNOWN_CLEAN["value"] = True


def start_clean(engine: Engine) -> None:
    """Reset the database unless it is known to be as migration left it (a module's fixture, before it seeds)."""
    if not _KNOWN_CLEAN["value"]:
        reset_database(engine)


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The engine of a database as migration left it, given back in that state after the test (for tests that
    must commit: queues, locks, publishing). It is reset first too if a test before it may have left rows."""
    start_clean(engine)
    yield engine
    reset_database(engine)


@pytest.fixture(autouse=True)
def _track_database_use(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used the database without `clean_db`, the next `clean_db` resets it before its test."""
    yield
    used = {"engine", "database_url"} & set(request.fixturenames)
    if used and "clean_db" not in request.fixturenames:
        _KNOWN_CLEAN["value"] = False


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
