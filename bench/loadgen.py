"""A small HTTP load generator for the dashboard benchmark: threads + requests, loopback only, bounded in
requests and seconds. Each thread has its own session (signed in to Hitscope when a password is given) and
posts a Dash callback payload to `/_dash-update-component` in a loop.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests

LOOPBACK = ("127.0.0.1", "localhost")


@dataclass
class Burst:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    response_bytes: int = 0

    def summary(self) -> dict[str, Any]:
        ms = np.array(self.latencies) * 1000
        done = len(self.latencies)
        return {
            "requests": done, "errors": self.errors, "seconds": round(self.seconds, 2),
            "rps": round(done / self.seconds, 1) if self.seconds else 0.0,
            **{f"p{q}_ms": round(float(np.percentile(ms, q)), 1) if done else None for q in (50, 95, 99)},
            "response_bytes": self.response_bytes,
        }  # fmt: skip


def signed_in_session(base: str, username: str | None, password: str | None) -> requests.Session:
    """A session; with credentials, signed in through Hitscope's form and carrying its CSRF header."""
    session = requests.Session()
    if username is None:
        return session
    page = session.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError(f"no sign-in form at {base}/login (status {page.status_code})")
    answer = session.post(f"{base}/login", data={"username": username, "password": password,
                          "csrf": token[1], "next": "/"}, timeout=30)  # fmt: skip
    csrf = session.cookies.get("_csrf_token")
    if answer.status_code != 200 or not csrf:
        raise RuntimeError(f"sign-in to {base} failed (status {answer.status_code})")
    session.headers["X-CSRFToken"] = csrf
    return session


def burst(
    base: str, payload: dict[str, Any], *, concurrency: int, seconds: float, max_requests: int,
    credentials: tuple[str, str] | None = None,
) -> Burst:  # fmt: skip
    """`concurrency` threads post `payload` until `seconds` pass or `max_requests` are sent in total."""
    if urlsplit(base).hostname not in LOOPBACK:
        raise ValueError(f"the load generator only targets the loopback interface, not {base}")
    user, password = credentials or (None, None)
    sessions = [signed_in_session(base, user, password) for _ in range(concurrency)]
    result, lock, sent = Burst(), threading.Lock(), [0]
    deadline = time.perf_counter() + seconds

    def worker(session: requests.Session) -> None:
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            started = time.perf_counter()
            try:
                response = session.post(f"{base}/_dash-update-component", json=payload, timeout=60)
                ok = response.status_code == 200
                size = len(response.content)
            except requests.RequestException:
                ok, size = False, 0
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    result.latencies.append(elapsed)
                    result.response_bytes = size
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    result.seconds = time.perf_counter() - started
    for session in sessions:
        session.close()
    return result


def callback_payload(dependencies: list[dict[str, Any]], output_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body the browser posts for the callback whose outputs include `output_id`, with input values
    `values` ({"component.property": value}; missing ones None), built from `/_dash-dependencies`."""
    dep = next(d for d in dependencies if f"{output_id}." in d["output"])
    outputs = [_prop(part) for part in _split_outputs(dep["output"])]

    def items(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**e, "value": values.get(f"{e['id']}.{e['property']}")} for e in entries]

    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep.get("state", [])),
        "changedPropIds": [],
    }


def _split_outputs(output: str) -> list[str]:
    return output.strip(".").split("...") if output.startswith("..") else [output]


def _prop(part: str) -> dict[str, Any]:
    """{"id", "property"} of one output; a pattern-matching id (a JSON object) as the object Dash expects."""
    component, prop = part.rsplit(".", 1)
    return {"id": json.loads(component) if component.startswith("{") else component, "property": prop}
