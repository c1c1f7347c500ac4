"""The web tier under crafted and hostile requests, against the real gunicorn server (with its real log).

- Bodies above MAX_REQUEST_KB get 413; crafted callback values and malformed asset URLs get a 4xx, and the
  server's log holds no traceback; a newline in a value cannot start a forged log line, and a hostile
  header cannot forge or colour a line of gunicorn's access log.
- A lock held on the tables sign-in and /healthz use: both answer "unavailable" within the web timeouts.
- Parallel wrong passwords are counted one by one (threads against 4 workers); lockout is per (user, address),
  with a per-user ceiling that locks the account everywhere, is logged as an error and is listed on Admin.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from werkzeug.security import generate_password_hash

from dashboard import ids
from tests.dashboard_support import users_setting
from tests.servers import gunicorn
from tests.web_support import WebClient, callback_payload, page_route

CY_PASSWORD = "cy-second-admin-pass"  # a second admin, to see the alert while ana is locked out
FORGED = "2026-12-01 06:00:00,000 INFO dashboard.login: mallory (admin) signed in from 10.0.0.1"


@pytest.fixture(scope="module")
def server(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    logs = tmp_path_factory.mktemp("gunicorn")
    log, access_log = logs / "stderr.log", logs / "access.log"
    users = users_setting() + ",cy:admin:" + generate_password_hash(CY_PASSWORD, method="pbkdf2:sha256:1000")
    env = {
        "DASHBOARD_USERS": users,
        "MAX_REQUEST_KB": "64",
        "LOGIN_MAX_FAILURES": "5",
        "LOGIN_CEILING": "8",
        "WEB_STATEMENT_TIMEOUT_MS": "1500",
        "WEB_LOCK_TIMEOUT_MS": "500",
    }
    with gunicorn(database_url, workers=4, log=log, access_log=access_log, **env) as base:
        yield {"base": base, "log": log, "access_log": access_log}


@pytest.fixture
def site(server: dict[str, Any], clean_db: Engine) -> dict[str, Any]:
    return server


def log_text(site: dict[str, Any]) -> str:
    return Path(site["log"]).read_text()


def test_request_bodies_are_capped(site: dict[str, Any]) -> None:
    web = WebClient(site["base"])
    assert web.post("/login", data={"username": "ana", "password": "x" * 200_000, "csrf": "t"}).status_code == 413
    assert web.sign_in("ana") == 302
    search = callback_payload(
        f"{ids.NAV_SEARCH_RESULTS}.children",
        [{"id": ids.NAV_SEARCH, "property": "value", "value": "a" * 100_000}],
    )
    assert web.callback(search).status_code == 413
    search["inputs"][0]["value"] = "a" * 1000  # a real callback's size still works
    assert web.callback(search).status_code == 200


def test_crafted_callback_values_and_asset_urls_get_4xx_without_a_traceback(site: dict[str, Any]) -> None:
    web = WebClient(site["base"])
    assert web.sign_in("bo") == 302
    assert web.callback(page_route("/seasonality")).status_code == 200
    crafted = {
        "a number for the pathname": page_route(5),
        "a pathname without '/'": page_route("artists"),
        "a list for the search": page_route("/", ["?genre=pop"]),
        "a newline in the pathname": page_route("/\n" + FORGED),
        "no such callback": callback_payload("nope.children", [{"id": "x", "property": "y", "value": 1}]),
        "too few inputs": {**page_route("/"), "inputs": page_route("/")["inputs"][:1]},
        "another component's input": page_route("/")
        | {"inputs": [{"id": "x", "property": "pathname", "value": "/"}, page_route("/")["inputs"][1]]},
        "nested JSON": '{"output": "x", "inputs": ' + "[" * 5000 + "]" * 5000 + "}",
        "JSON nested 100 deep": json.dumps(page_route("/", search=None)).replace("null", "[" * 100 + "]" * 100),
        "not JSON": "{broken",
        "outputs not the callback's": page_route("/")
        | {"outputs": [{"id": "x", "property": "y"}, {"id": "z", "property": "w"}]},
        "one output of two": page_route("/") | {"outputs": [{"id": "_pages_content", "property": "children"}]},
        "outputs a string": page_route("/") | {"outputs": "x.y"},
    }
    for what, body in crafted.items():
        response = web.callback(body)
        assert response.status_code == 400, what
    for path in [
        "/_dash-component-suites/dash/x.js",
        "/_dash-component-suites/nope/x.js",
        "/_dash-component-suites/dash/deps/%2e%2e/x.js",
        "/assets/%ff",
        "/assets/..%2f..%2fsettings.py",
    ]:
        assert web.get(path).status_code == 404, path
    log = log_text(site)
    assert "Traceback" not in log and "Exception on" not in log
    assert "refused a callback request" in log


def test_a_newline_in_a_value_cannot_forge_a_log_line(site: dict[str, Any]) -> None:
    web = WebClient(site["base"])
    assert web.sign_in("bo") == 302
    assert web.callback(page_route("x\n" + FORGED)).status_code == 400
    assert web.sign_in("x\n" + FORGED, "wrong") == 401
    lines = log_text(site).splitlines()
    assert not [line for line in lines if line.startswith(FORGED)]
    assert any(("\\n" + FORGED) in line for line in lines)  # the value is there, escaped, inside one line


def raw_get(base: str, path: bytes, user_agent: bytes) -> bytes:
    """The status line of a GET sent byte for byte (no client library cleans the header)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nUser-Agent: " + user_agent
                     + b"\r\nConnection: close\r\n\r\n")  # fmt: skip
        return sock.recv(64).split(b"\r\n")[0]


def access_lines(site: dict[str, Any], *, until: str, timeout: float = 10) -> list[str]:
    """The access log's lines once one holds `until` (a worker writes its line after sending the response)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = Path(site["access_log"]).read_text(errors="replace").splitlines()
        if any(until in line for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_a_hostile_header_cannot_forge_or_colour_an_access_log_line(site: dict[str, Any]) -> None:
    assert raw_get(site["base"], b"/healthz?quote", b'x" 200 1 "-" "forged').endswith(b"200 OK")
    assert raw_get(site["base"], b"/healthz?escape", b"x\x1b[31mred\x1b[0m").endswith(b"400 Bad Request")
    assert raw_get(site["base"], b"/healthz?nul", b"x\x00y").endswith(b"400 Bad Request")
    lines = access_lines(site, until="/healthz?quote")
    quoted = [line for line in lines if "/healthz?quote" in line]
    assert len(quoted) == 1 and quoted[0].endswith('"x\\" 200 1 \\"-\\" \\"forged"')  # escaped, one field
    assert not any("\x1b" in line or "\x00" in line for line in lines)


def test_a_held_lock_gives_unavailable_not_a_hung_worker(site: dict[str, Any], clean_db: Engine) -> None:
    signed_in = WebClient(site["base"])
    assert signed_in.sign_in("ana") == 302
    web = WebClient(site["base"])
    token = web.form_token()
    with clean_db.connect() as conn:
        locker = conn.begin()
        conn.execute(text("LOCK TABLE login_attempts, web_sessions, publications IN ACCESS EXCLUSIVE MODE"))
        try:
            login = web.post("/login", data={"username": "ana", "password": "whatever", "csrf": token})
            health = web.get("/healthz")
            page = signed_in.get("/artists")
        finally:
            locker.rollback()
    assert login.status_code == 503 and "temporarily unavailable" in login.text
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert page.status_code == 503
    assert web.get("/healthz").status_code == 200  # and all is well once the lock is gone
    assert signed_in.get("/artists").status_code == 200


def test_parallel_wrong_passwords_cannot_pass_the_limit(site: dict[str, Any], clean_db: Engine) -> None:
    clients = [WebClient(site["base"]) for _ in range(16)]
    tokens = [web.form_token() for web in clients]
    start = threading.Barrier(len(clients))

    def guess(index: int) -> int:
        start.wait()
        data = {"username": "ana", "password": f"guess-{index}", "csrf": tokens[index]}
        return clients[index].post("/login", data=data).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(guess, range(len(clients))))
    sys.stderr.write(f"\nparallel sign-in drill: {len(clients)} wrong passwords at once, 4 workers: "
                     f"{statuses.count(401)} checked (401), {statuses.count(429)} refused (429)\n")  # fmt: skip
    assert sorted(statuses) == [401] * 5 + [429] * 11  # LOGIN_MAX_FAILURES=5: exactly 5 passwords checked
    with clean_db.connect() as conn:
        checked = conn.execute(text("SELECT count(*) FROM login_attempts WHERE NOT succeeded")).scalar_one()
    assert checked == 5


def test_lockout_is_per_user_and_address_with_a_ceiling_that_alerts(site: dict[str, Any], clean_db: Engine) -> None:
    first, second = (WebClient(site["base"], address=f"127.0.0.{n}") for n in (2, 3))
    assert [first.sign_in("ana", f"wrong-{i}") for i in range(5)] == [401] * 5
    assert first.sign_in("ana") == 429  # LOGIN_MAX_FAILURES=5 for (ana, 127.0.0.2)
    assert first.sign_in("bo") == 302  # another user at the guessing address is not locked out
    assert [second.sign_in("ana", f"wrong-{i}") for i in range(3)] == [401] * 3  # ana elsewhere is not either
    assert second.sign_in("ana") == 429  # 8 failures from any address = LOGIN_CEILING: locked everywhere
    assert WebClient(site["base"], address="127.0.0.4").sign_in("ana") == 429
    assert "ERROR dashboard.login: account 'ana' locked for every address" in log_text(site)
    viewer, admin = WebClient(site["base"], address="127.0.0.5"), WebClient(site["base"], address="127.0.0.5")
    assert viewer.sign_in("bo") == 302 and admin.sign_in("cy", CY_PASSWORD) == 302
    poll = callback_payload(
        f"{ids.ADMIN_LOCKED}.children", [{"id": ids.ADMIN_POLL, "property": "n_intervals", "value": 1}]
    )
    assert "ana" not in viewer.callback(poll).text  # the alert is for admins
    listed = admin.callback(poll)
    assert listed.status_code == 200 and "ana: 8 wrong passwords from 2 address(es)" in listed.text
