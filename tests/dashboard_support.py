"""Helpers for the dashboard tests: seed a real database through the real pipeline, point the app at it.

seeded = seed_demo(engine)           # ~35 days of a 150-artist demo market, one publication
with dashboard_database(url): ...    # DATABASE_URL (and test users) for the app's lazily created engine
with signed_in("ana"): ...           # a request context whose session belongs to a user
login(client, "ana")                 # sign a Flask test client in through the real form
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from dash import Dash
from flask import session
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.security import generate_password_hash

from core.settings import get_settings
from jobs.pipeline import RunConfig, RunOutcome, backfill, exclusive_run
from jobs.sources.demo import DemoSource

SNAPSHOT = date(2025, 6, 30)
DAYS = 35
PASSWORDS = {"ana": "ana-admin-pass", "bo": "bo-viewer-pass"}
ROLES = {"ana": "admin", "bo": "viewer"}


@functools.cache
def users_setting() -> str:
    """DASHBOARD_USERS for the tests: ana (admin) and bo (viewer); cheap pbkdf2 rounds to keep tests fast."""
    return ",".join(
        f"{name}:{ROLES[name]}:{generate_password_hash(password, method='pbkdf2:sha256:1000')}"
        for name, password in PASSWORDS.items()
    )


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
    extra = {"DASHBOARD_USERS": users_setting(), "LOGIN_MAX_FAILURES": "3", **extra}
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


@contextmanager
def signed_in(name: str | None) -> Iterator[None]:
    """A request context of the app whose session belongs to `name` (None: signed out)."""
    with dash_app().server.test_request_context("/"):
        if name:
            session["user"] = name
        yield


def login(client: FlaskClient, name: str, password: str | None = None) -> int:
    """Sign in through the form (with its CSRF field); return the response status (302 on success)."""
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, "the login form has no CSRF field"
    response = client.post(
        "/login", data={"username": name, "password": password or PASSWORDS[name], "csrf": csrf[1]}
    )
    return response.status_code
