"""Sign-in, roles and the server-side admin check, through the Flask test client against a real database."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from core.settings import Settings
from dashboard import auth, ids
from tests.dashboard_support import (
    PASSWORDS,
    SOME_DATABASE_URL,
    STRONG_SECRET_KEY,
    dash_app,
    dashboard_database,
    login,
    users_setting,
)

PRODUCTION = {"SECRET_KEY": STRONG_SECRET_KEY, "DATABASE_URL": SOME_DATABASE_URL}


@pytest.fixture
def client(clean_db: Engine, database_url: str) -> Iterator[FlaskClient]:
    with dashboard_database(database_url):
        yield dash_app().server.test_client()


def refresh_payload(source: str = "demo", button: str = ids.ADMIN_REFRESH) -> dict:
    """The POST the browser sends when the Admin page's refresh (or retrain) button is clicked."""
    clicks = {ids.ADMIN_REFRESH: None, ids.ADMIN_RETRAIN: None, button: 1}
    return {
        "output": f"{ids.ADMIN_REFRESH_RESULT}.children",
        "outputs": {"id": ids.ADMIN_REFRESH_RESULT, "property": "children"},
        "inputs": [{"id": key, "property": "n_clicks", "value": value} for key, value in clicks.items()],
        "state": [{"id": ids.ADMIN_SOURCE, "property": "value", "value": source}],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def post_callback(client: FlaskClient, payload: dict, *, csrf: bool = True):
    headers = {}
    cookie = client.get_cookie("_csrf_token")
    if csrf and cookie is not None:
        headers["X-CSRFToken"] = cookie.value
    return client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json",
                       headers=headers)  # fmt: skip


def pending_requests(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT requested_by, trigger FROM refresh_requests WHERE kind = 'refresh'"))
        return [tuple(r) for r in rows]


def test_parse_users_accepts_werkzeug_hashes_and_explains_bad_entries() -> None:
    users = auth.parse_users(users_setting())
    assert {name: user.role for name, user in users.items()} == {"ana": "admin", "bo": "viewer"}
    assert auth.authenticate(users, "ana", PASSWORDS["ana"]) == users["ana"]
    assert auth.authenticate(users, "ana", PASSWORDS["bo"]) is None
    assert auth.authenticate(users, "nobody", "whatever") is None
    good_hash = users["ana"].password_hash
    for spec, needle in [
        ("ana:admin", "expected name:role:hash"),
        (f"ana:root:{good_hash}", "role must be one of"),
        ("ana:admin:plaintext", "not a werkzeug hash"),
        (f"ana:admin:{good_hash},ana:viewer:{good_hash}", "appears twice"),
    ]:
        with pytest.raises(auth.UsersConfigError, match=needle):
            auth.parse_users(spec)


def test_default_user_only_in_development() -> None:
    dev = auth.configured_users(Settings(APP_ENV="development", DASHBOARD_USERS=""))
    assert list(dev) == ["admin"] and auth.authenticate(dev, "admin", "admin") is not None
    assert auth.configured_users(Settings(APP_ENV="test", DASHBOARD_USERS="")) == {}
    with pytest.raises(auth.UsersConfigError, match="DASHBOARD_USERS is empty"):
        auth.check_users(Settings(APP_ENV="production", DASHBOARD_USERS="", **PRODUCTION))
    auth.check_users(Settings(APP_ENV="production", DASHBOARD_USERS=users_setting(), **PRODUCTION))


def test_every_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/artists?genre=pop")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/artists?genre=pop"
    assert client.get("/_dash-layout").status_code == 401
    assert post_callback(client, refresh_payload()).status_code == 401
    assert client.get("/healthz").status_code == 200  # the load balancer does not sign in
    assert client.get("/assets/app.css").status_code == 200


def test_sign_in_sets_a_safe_session_cookie(client: FlaskClient) -> None:
    form = client.get("/login?next=/seasonality").get_data(as_text=True)
    assert 'name="next" value="/seasonality"' in form
    assert login(client, "bo") == 302
    cookie = client.get_cookie("hitscope_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/seasonality").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/logout").status_code == 302
    assert client.get("/seasonality").status_code == 302


def test_redirect_after_sign_in_stays_on_this_site(client: FlaskClient) -> None:
    form = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    assert 'name="next" value="/"' in form
    form = client.get("/login?next=/logout").get_data(as_text=True)
    assert 'name="next" value="/"' in form  # a revoked session's Log out click must not sign out the next sign-in


def test_wrong_passwords_lock_that_user_at_that_address(client: FlaskClient, clean_db: Engine) -> None:
    assert login(client, "ana", "wrong-1") == 401
    assert login(client, "ana", "wrong-2") == 401
    assert login(client, "ana", "wrong-3") == 401
    assert login(client, "ana") == 429  # the right password, but LOGIN_MAX_FAILURES=3 were used up
    with clean_db.connect() as conn:
        attempts = conn.execute(text("SELECT username, succeeded FROM login_attempts ORDER BY attempt_id")).all()
    assert [tuple(a) for a in attempts] == [("ana", False)] * 3
    assert login(client, "bo") == 302  # another user at the same address is not locked out by ana's guesser
    elsewhere = dash_app().server.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert login(elsewhere, "ana") == 302  # nor is ana herself, from her own address


def test_login_form_without_its_csrf_field_is_refused(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"]})
    assert response.status_code == 400 and client.get_cookie("hitscope_session") is not None
    assert client.get("/").status_code == 302


def test_viewer_crafting_the_refresh_request_is_refused_and_logged(
    client: FlaskClient, clean_db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    assert login(client, "bo") == 302
    client.get("/")  # the page load hands out the CSRF cookie
    with caplog.at_level(logging.WARNING, logger="dashboard.auth"):
        response = post_callback(client, refresh_payload())
    assert response.status_code == 200 and "Refused: only admins" in response.get_data(as_text=True)
    assert pending_requests(clean_db) == []
    assert any("refused refresh request for bo (role viewer)" in r.getMessage() for r in caplog.records)


def test_dash_requests_need_the_csrf_token(client: FlaskClient, clean_db: Engine) -> None:
    assert login(client, "ana") == 302
    client.get("/")
    assert post_callback(client, refresh_payload(), csrf=False).status_code == 403
    assert pending_requests(clean_db) == []
    response = post_callback(client, refresh_payload())
    assert response.status_code == 200 and "requested (request #" in response.get_data(as_text=True)
    assert pending_requests(clean_db) == [("ana", "manual")]


def test_admin_can_request_a_retrain_and_a_viewer_cannot(client: FlaskClient, clean_db: Engine) -> None:
    assert login(client, "bo") == 302
    client.get("/")
    refused = post_callback(client, refresh_payload(button=ids.ADMIN_RETRAIN))
    assert "Refused: only admins can request a train" in refused.get_data(as_text=True)
    client.get("/logout")
    assert login(client, "ana") == 302
    client.get("/")
    response = post_callback(client, refresh_payload(button=ids.ADMIN_RETRAIN))
    assert "Retrain of 'demo' requested" in response.get_data(as_text=True)
    with clean_db.connect() as conn:
        kinds = conn.execute(text("SELECT kind, requested_by FROM refresh_requests")).all()
    assert [tuple(k) for k in kinds] == [("train", "ana")]
