"""Sessions against the real gunicorn server: login CSRF, sign-out that signs out, lifetimes, sign out everywhere.

Each test signs in through the real form with `requests`, keeps the cookies a browser would, and replays them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dashboard import ids
from tests.dashboard_support import PASSWORDS, users_setting
from tests.servers import gunicorn
from tests.web_support import WebClient, callback_payload


@pytest.fixture(scope="module")
def site(engine: Engine, database_url: str) -> Iterator[str]:
    with gunicorn(database_url, DASHBOARD_USERS=users_setting(), SESSION_HOURS="2", SESSION_MAX_HOURS="8") as base:
        yield base


@pytest.fixture
def base(site: str, clean_db: Engine) -> str:
    return site


def signed_in(response: Any) -> bool:
    """A page request that is served, not sent to the login form."""
    return response.status_code == 200


def sign_out_everywhere(web: WebClient) -> Any:
    return web.callback(
        callback_payload(f"{ids.ADMIN_SIGN_OUT_RESULT}.children",
                         [{"id": ids.ADMIN_SIGN_OUT_ALL, "property": "n_clicks", "value": 1}])
    )  # fmt: skip


def test_login_without_a_csrf_token_is_refused(base: str) -> None:
    for form in ({}, {"csrf": ""}):  # no cookie at all, and an empty field that would match an empty session
        web = WebClient(base)
        response = web.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], **form})
        assert response.status_code == 400
        assert not signed_in(web.get("/"))
    web = WebClient(base)
    web.get("/login")  # a session with a form token, but a POST that sends none
    response = web.post("/login", data={"username": "ana", "password": PASSWORDS["ana"]})
    assert response.status_code == 400 and not signed_in(web.get("/"))


def test_a_cookie_saved_before_sign_out_is_refused_afterwards(base: str) -> None:
    web = WebClient(base)
    assert web.sign_in("ana") == 302
    saved = web.http.cookies.copy()
    assert signed_in(web.get("/seasonality"))
    assert web.get("/logout").status_code == 302
    replay = WebClient(base)
    replay.http.cookies = saved
    assert replay.get("/seasonality").status_code == 302  # back to the login form
    assert replay.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize(
    ("column", "hours", "why"),
    [("created_at", 9, "absolute lifetime (SESSION_MAX_HOURS=8) passed, though in use"),
     ("last_seen_at", 3, "idle longer than SESSION_HOURS=2")],
)  # fmt: skip
def test_a_session_ends_after_its_lifetimes(base: str, clean_db: Engine, column: str, hours: int, why: str) -> None:
    web = WebClient(base)
    assert web.sign_in("bo") == 302
    assert signed_in(web.get("/"))
    with clean_db.begin() as conn:  # as if the session had been made (or last used) `hours` ago
        conn.execute(text(f"UPDATE web_sessions SET {column} = now() - make_interval(hours => :h)"), {"h": hours})
    assert web.get("/").status_code == 302, why


def test_an_admin_signs_out_everywhere_and_a_viewer_cannot(base: str, clean_db: Engine) -> None:
    ana, ana_laptop, bo = WebClient(base), WebClient(base), WebClient(base)
    for web, name in ((ana, "ana"), (ana_laptop, "ana"), (bo, "bo")):
        assert web.sign_in(name) == 302
    refused = sign_out_everywhere(bo)
    assert refused.status_code == 200 and "Refused: only admins" in refused.text
    assert all(signed_in(web.get("/")) for web in (ana, ana_laptop, bo))
    done = sign_out_everywhere(ana)
    assert done.status_code == 200 and "Signed out 3 session(s)" in done.text
    assert [web.get("/").status_code for web in (ana, ana_laptop, bo)] == [302, 302, 302]
    with clean_db.connect() as conn:
        revoked_by = conn.execute(text("SELECT DISTINCT revoked_by FROM web_sessions")).scalars().all()
    assert revoked_by == ["ana"]
    assert ana.sign_in("ana") == 302 and signed_in(ana.get("/"))  # signing in again works
