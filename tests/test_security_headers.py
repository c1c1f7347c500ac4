"""Security headers on every response, production cookies, admin callbacks crafted by a viewer, and secrets
that must never reach a log line or an error page (a DATABASE_URL with a password, a Spotify client secret).

Wrong-password rate limiting, the CSRF token and the refused refresh request are in test_dashboard_auth.py;
the CSP is exercised in a real browser in test_browser_security.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from dash import Dash, html
from flask.testing import FlaskClient
from sqlalchemy import Engine

from core.logs import configure_logging
from core.settings import Settings
from dashboard import ids
from dashboard.login import install_login
from dashboard.security import install_security_headers
from tests.dashboard_support import (
    PASSWORDS,
    dash_app,
    dashboard_database,
    keeping_page_callbacks,
    login,
    users_setting,
)
from tests.servers import ROOT

DB_PASSWORD = "Db-Pa55word-never-logged"
CLIENT_SECRET = "spotify-client-secret-never-logged"
SECRET_KEY = "flask-secret-key-never-logged-kV3q9xZ2LpW7rT0mN8bY5cH1dF6gJ4sA-Qe_Uo2iPzXw7nRt"
LEAKY_URL = f"postgresql+psycopg://hitscope:{DB_PASSWORD}@127.0.0.1:9/nowhere"  # port 9: nothing listens
SECRETS = (DB_PASSWORD, CLIENT_SECRET, SECRET_KEY)


@pytest.fixture
def client(clean_db: Engine, database_url: str) -> Iterator[FlaskClient]:
    with dashboard_database(database_url):
        yield dash_app().server.test_client()


def callback_payload(output: str, inputs: list[dict], state: list[dict] | None = None) -> dict:
    outputs = [dict(zip(("id", "property"), part.split("."), strict=True)) for part in output.strip(".").split("...")]
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def post(client: FlaskClient, payload: dict | str):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    cookie = client.get_cookie("_csrf_token")
    headers = {"X-CSRFToken": cookie.value} if cookie else {}
    return client.post("/_dash-update-component", data=body, content_type="application/json", headers=headers)


def assert_secure_headers(response, where: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, where
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], where
    assert "; img-src 'self' data: blob: https://i.scdn.co;" in policy, where  # artwork: exactly ARTWORK_HOSTS
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    signed_out = ["/", "/artists?genre=pop", "/login", "/healthz", "/assets/app.css", "/_dash-layout", "/nope"]
    for path in signed_out:
        assert_secure_headers(client.get(path), f"signed out {path}")
    assert_secure_headers(client.post("/login", data={"username": "ana"}), "login without csrf")
    assert login(client, "bo") == 302
    for path in ["/", "/seasonality", "/admin", "/_dash-layout", "/_dash-dependencies", "/track/x", "/nope"]:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_secure_headers(response, f"signed in {path}")
    assert_secure_headers(post(client, "{not json"), "malformed callback")


def test_production_session_cookie_is_secure_httponly_samesite_and_hsts_is_sent(
    clean_db: Engine, database_url: str
) -> None:
    with dashboard_database(database_url, APP_ENV="production", SECRET_KEY=SECRET_KEY), keeping_page_callbacks():
        app = Dash("production_probe")  # a bare app: the login and headers exactly as create_app installs them
        app.layout = html.Div("ok")
        settings = Settings(APP_ENV="production", SECRET_KEY=SECRET_KEY, DASHBOARD_USERS=users_setting(),
                            DATABASE_URL=database_url)  # fmt: skip
        install_login(app.server, settings)
        install_security_headers(app, production=True)
        client = app.server.test_client()
        assert login(client, "ana") == 302
        response = client.get("/")
        assert "max-age=" in response.headers.get("Strict-Transport-Security", "")
    form = client.get("/login")  # the session cookie as the browser receives it
    cookies = ";".join(form.headers.getlist("Set-Cookie"))
    assert "hitscope_session=" in cookies
    assert "Secure" in cookies and "HttpOnly" in cookies and "SameSite=Lax" in cookies


def test_viewer_crafting_the_admin_run_history_call_gets_nothing(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert login(client, "bo") == 302
    client.get("/")
    payload = callback_payload(
        f"..{ids.ADMIN_QUEUE}.children...{ids.ADMIN_RUNS}.rowData...{ids.ADMIN_SOURCE}.options"
        f"...{ids.ADMIN_HEALTH}.children..",
        [{"id": ids.ADMIN_POLL, "property": "n_intervals", "value": 1},
         {"id": ids.ADMIN_REFRESH_RESULT, "property": "children", "value": None}],
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="dashboard.auth"):
        response = post(client, payload)
    body = response.get_json()["response"]
    assert "Admins only." in json.dumps(body[ids.ADMIN_QUEUE]) and body[ids.ADMIN_RUNS]["rowData"] == []
    assert any("refused run history for bo (role viewer)" in r.getMessage() for r in caplog.records)


def test_secrets_never_reach_logs_or_error_pages(
    clean_db: Engine, database_url: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    extra = {"SPOTIPY_CLIENT_SECRET": CLIENT_SECRET, "SECRET_KEY": SECRET_KEY}
    bodies: list[str] = []
    try:
        with dashboard_database(LEAKY_URL, **extra), caplog.at_level(logging.DEBUG):
            configure_logging("DEBUG")  # the real handler, as gunicorn and the CLI have it
            root.addHandler(caplog.handler)
            client = dash_app().server.test_client()
            for response in (client.get("/healthz"), client.get("/login")):
                bodies.append(response.get_data(as_text=True))
            form = bodies[-1]
            csrf = form.split('name="csrf" value="')[1].split('"')[0]
            response = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], "csrf": csrf})
            assert response.status_code == 503
            bodies.append(response.get_data(as_text=True))
            with client.session_transaction() as session:
                session["user"], session["csrf"], session["sid"] = "ana", "token", "no-such-session"
            client.set_cookie("_csrf_token", "token")
            for payload in (
                callback_payload(
                    f"{ids.ARTISTS_ALERT}.children",
                    [{"id": ids.ARTISTS_GENRE, "property": "value", "value": "pop"}],
                ),
                "{broken json",
            ):
                response = post(client, payload)
                assert response.status_code in (200, 204, 400, 500, 503)
                bodies.append(response.get_data(as_text=True))
            bodies.append(client.get("/artists").get_data(as_text=True))
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    # The CLI with a password in a working DATABASE_URL (local trust auth ignores it): start-up, migrations
    # and status lines are logged at DEBUG, none with the password.
    working_url = database_url.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    cli = subprocess.run(
        [sys.executable, "-m", "jobs", "status"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": working_url, "APP_ENV": "test", "LOG_LEVEL": "DEBUG", **extra},
    )  # fmt: skip
    assert cli.returncode == 0 and DB_PASSWORD in working_url, cli.stderr
    logged = capfd.readouterr().err + "\n".join(r.getMessage() for r in caplog.records)
    assert "database unavailable" in logged  # the outage itself is logged...
    for secret in SECRETS:  # ...but no credential, anywhere
        assert secret not in logged
        assert secret not in cli.stdout + cli.stderr
        assert not any(secret in body for body in bodies)
