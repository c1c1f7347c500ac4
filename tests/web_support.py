"""Helpers for the tests that drive the real gunicorn server with `requests`.

with gunicorn(url, DASHBOARD_USERS=users_setting()) as base:
    web = WebClient(base)                 # a browser-like session (cookies), optionally from 127.0.0.N
    web.sign_in("ana")                    # through the real form; returns the status
    web.callback(payload)                 # POST /_dash-update-component with the CSRF header
routed(test_client, "/artists?top=10")    # the layout Dash's router returns for a path (Flask test client)
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests
from flask.testing import FlaskClient
from requests.adapters import HTTPAdapter

from tests.dashboard_support import PASSWORDS

TIMEOUT = 30  # seconds: far above every web timeout under test, so a hang fails the test instead of passing


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address (127.0.0.2, ...): the server sees a different client address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class WebClient:
    def __init__(self, base: str, *, address: str | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        if address:
            self.http.mount("http://", FromAddress(address))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.base + path, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    def form_token(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.get("/login").text)
        assert match, "the login form has no CSRF field"
        return match[1]

    def sign_in(self, name: str, password: str | None = None) -> int:
        data = {"username": name, "password": password or PASSWORDS[name], "csrf": self.form_token()}
        status = self.post("/login", data=data).status_code
        if status == 302:
            self.get("/")  # the page load hands out the CSRF cookie Dash sends back
        return status

    def callback(self, payload: dict[str, Any] | str | bytes) -> requests.Response:
        body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.http.cookies.get("_csrf_token", "")}
        return self.post("/_dash-update-component", data=body, headers=headers)


def callback_payload(output: str, inputs: list[dict[str, Any]], state: list[dict[str, Any]] | None = None) -> dict:
    """A `/_dash-update-component` body as the renderer sends it (outputs from the `output` string)."""
    parts = [dict(zip(("id", "property"), part.split("."), strict=True)) for part in output.strip(".").split("...")]
    return {
        "output": output,
        "outputs": parts if len(parts) > 1 else parts[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def page_route(pathname: Any, search: Any = "") -> dict[str, Any]:
    """The body of Dash's page-routing callback (what every page load sends) with the given URL values."""
    return callback_payload(
        ".._pages_content.children..._pages_store.data..",
        [{"id": "_pages_location", "property": "pathname", "value": pathname},
         {"id": "_pages_location", "property": "search", "value": search}],
    )  # fmt: skip


def routed(client: FlaskClient, path: str) -> dict[str, Any]:
    """The layout Dash's page router returns for `path` (as JSON), asked as the browser asks it after a page load.

    A GET of any path serves the same index page (Dash routes in the browser), so a status 200 says nothing
    about the page: this is what tells a working page from a broken one. `client` must be signed in.
    """
    pathname, _, query = path.partition("?")
    cookie = client.get_cookie("_csrf_token")
    headers = {"X-CSRFToken": cookie.value} if cookie else {}
    body = json.dumps(page_route(pathname, f"?{query}" if query else ""))
    response = client.post("/_dash-update-component", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["response"]["_pages_content"]["children"]


def component_ids(tree: Any) -> set[str]:
    """Every string id in a layout's JSON."""
    found: set[str] = set()
    if isinstance(tree, dict):
        if isinstance(tree.get("props", {}).get("id"), str):
            found.add(tree["props"]["id"])
        for value in tree.values():
            found |= component_ids(value)
    elif isinstance(tree, list):
        for item in tree:
            found |= component_ids(item)
    return found


def find_props(tree: Any, component_id: object) -> dict[str, Any] | None:
    """The props of the component with `component_id` in a layout's JSON."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree["props"]
        children: Any = list(tree.values())
    else:
        children = tree if isinstance(tree, list) else []
    for child in children:
        found = find_props(child, component_id)
        if found is not None:
            return found
    return None
