"""Helpers for the dashboard tests: seed a real database through the real pipeline, point the app at it.

seeded = seed_demo(engine)           # ~35 days of a 150-artist demo market, one publication
with dashboard_database(url): ...    # DATABASE_URL for the app's lazily created engine
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from dash import Dash
from sqlalchemy import Engine

from core.settings import get_settings
from jobs.pipeline import RunConfig, RunOutcome, backfill, exclusive_run
from jobs.sources.demo import DemoSource

SNAPSHOT = date(2025, 6, 30)
DAYS = 35


def seed_demo(engine: Engine, *, snapshot: date = SNAPSHOT, days: int = DAYS) -> RunOutcome:
    """Run the real backfill of the demo market (150 artists) and publish the last day."""
    source = DemoSource(n_artists=150)
    with exclusive_run(engine):
        return backfill(
            engine, source, end_date=snapshot, days=days, trigger="cli", requested_by="tests",
            config=RunConfig(),
        )  # fmt: skip


@contextmanager
def dashboard_database(url: str, **extra: str) -> Iterator[None]:
    """Set DATABASE_URL (and any extra settings) for the app, restoring the environment afterwards."""
    saved = {key: os.environ.get(key) for key in ("DATABASE_URL", *extra)}
    os.environ["DATABASE_URL"] = url
    os.environ.update(extra)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@functools.cache
def dash_app() -> Dash:
    """The app, built once per test process (Dash registers page callbacks globally)."""
    from dashboard.app import create_app

    return create_app()
