"""Load drill: simulated users click through the dashboard under gunicorn while a refresh publishes.

    python -m bench.drill_load                     # 32 users, 60 s, gunicorn -w 2, writes bench/results/drill_load.json
    python -m bench.drill_load --users 48 --seconds 120 --artists 1000

What it does, all on loopback:
1. creates a throwaway database on the local PostgreSQL (127.0.0.1:5432, or TEST_DATABASE_URL / DATABASE_URL's
   server), migrates it and seeds it with `python -m jobs backfill` of the demo market;
2. starts `gunicorn dashboard.wsgi:server -w 2` on a free port;
3. runs N users, each a signed-in `requests.Session` that does what a browser does: GET a page (with filters
   in the query string), GET `/_dash-layout` and `/_dash-dependencies`, then POST to `/_dash-update-component`
   every callback the page fires on load, built from `/_dash-dependencies` itself (same outputs, inputs and
   state ids), then changes a filter (genre, order, top N, window, year range, search text) and POSTs the
   callbacks that filter triggers, then moves to another page (artist and track pages included);
4. ten seconds in, runs `python -m jobs refresh --date <next day>`, which publishes while the users click;
5. counts errors (any status other than 200/204, a timeout, or "temporarily unavailable" in a body) and
   writes p50/p95/p99 per request kind and overall, the refresh's duration and exit code, to the JSON file.

It exits 1 if there was any error or the refresh failed. Not part of the test suite (it runs for a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from core import migrations
from core.db import get_engine
from dashboard import ids
from tests import pg
from tests.servers import free_port, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "drill_load.json"
USER, PASSWORD = "drill", "drill-password"
SNAPSHOT = date(2025, 6, 30)
UNAVAILABLE = "temporarily unavailable"


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {
        "n": len(values),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


class Recorder:
    """Latencies per request kind and every error, shared by the user threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def timed(self, kind: str, call: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as error:
            with self.lock:
                self.errors.append(f"{kind}: {type(error).__name__}")
            return None
        elapsed = time.perf_counter() - started
        bad = response.status_code not in (200, 204) or UNAVAILABLE in response.text
        with self.lock:
            self.latencies[kind].append(elapsed)
            if bad:
                self.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:120]!r}")
        return response


def parse_outputs(output: str) -> list[dict[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]


class Catalogue:
    """What the users pick from: genres, artist and track ids, artist names, year bounds of the seed."""

    def __init__(self, url: str) -> None:
        with get_engine(url).connect() as conn:
            pid = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one()
            self.genres = list(
                conn.execute(
                    text(
                        "SELECT DISTINCT genre FROM agg_artist_leaderboard"
                        " WHERE publication_id = :p AND genre IS NOT NULL"
                    ),
                    {"p": pid},
                ).scalars()
            )
            self.artists = list(
                conn.execute(text("SELECT artist_id FROM artists ORDER BY random() LIMIT 50")).scalars()
            )
            self.names = list(conn.execute(text("SELECT name FROM artists ORDER BY random() LIMIT 50")).scalars())
            self.tracks = list(conn.execute(text("SELECT track_id FROM tracks ORDER BY random() LIMIT 50")).scalars())


def page_plan(
    rng: random.Random, catalogue: Catalogue
) -> tuple[str, dict[tuple[str, str], Any], list[tuple[str, str, Any]]]:
    """A page to visit: its URL, the input values on load, and the filter changes the user then makes."""
    genre = rng.choice(catalogue.genres) if catalogue.genres else None
    kind = rng.choice(["morning", "artists", "seasonality", "artist", "track", "model", "admin"])
    if kind == "morning":
        values = {
            (ids.MORNING_LOAD, "n_intervals"): 0,
            (ids.MORNING_GENRE, "value"): None,
            (ids.MORNING_RISER_WINDOW, "value"): "7",
            (ids.MORNING_RISER_BASIS, "value"): "points",
        }
        changes = [
            (ids.MORNING_GENRE, "value", genre),
            (ids.MORNING_RISER_WINDOW, "value", "28"),
            (ids.MORNING_RISER_BASIS, "value", "percent"),
        ]
        return "/", values, changes
    if kind == "artists":
        order = rng.choice(["level", "growth7", "growth28"])
        values = {
            (ids.ARTISTS_GENRE, "value"): genre,
            (ids.ARTISTS_ORDER, "value"): order,
            (ids.ARTISTS_TOP, "value"): 20,
        }
        changes = [
            (ids.ARTISTS_TOP, "value", rng.choice([10, 30, 50])),
            (ids.ARTISTS_ORDER, "value", rng.choice(["level", "growth7", "growth28"])),
            (ids.NAV_SEARCH, "value", rng.choice(catalogue.names)[:-1] if catalogue.names else "a"),
        ]
        return f"/artists?genre={genre}&order={order}", values, changes
    if kind == "seasonality":
        values = {
            (ids.SEASON_URL, "pathname"): "/seasonality",
            (ids.SEASON_GENRE, "value"): None,
            (ids.SEASON_YEARS, "value"): None,
            (ids.SEASON_METRIC, "value"): "hit_rate",
        }
        changes = [
            (ids.SEASON_GENRE, "value", genre),
            (ids.SEASON_METRIC, "value", "mean_popularity"),
            (ids.SEASON_YEARS, "value", [2023, 2025]),
        ]
        return "/seasonality", values, changes
    if kind == "artist":
        artist_id = rng.choice(catalogue.artists)
        return f"/artist/{artist_id}", {(ids.ARTIST_ID, "data"): artist_id}, []
    if kind == "track":
        track_id = rng.choice(catalogue.tracks)
        return f"/track/{track_id}", {(ids.TRACK_ID, "data"): track_id}, []
    if kind == "model":
        return "/model", {(ids.MODEL_LOAD, "data"): None}, []
    return "/admin", {(ids.ADMIN_POLL, "n_intervals"): 0, (ids.ADMIN_REFRESH_RESULT, "children"): None,
                      (ids.ADMIN_SOURCE, "value"): "demo"}, []  # fmt: skip


def callback_body(dependency: dict[str, Any], values: dict[tuple[str, str], Any], changed: str) -> dict:
    def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [{**item, "value": values.get((item["id"], item["property"]))} for item in items]

    outputs = parse_outputs(dependency["output"])
    return {
        "output": dependency["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": filled(dependency["inputs"]),
        "state": filled(dependency.get("state", [])),
        "changedPropIds": [changed],
    }


def user(number: int, base: str, stop: float, catalogue: Catalogue, recorder: Recorder, seed: int) -> None:
    rng = random.Random(seed * 1000 + number)
    session = requests.Session()
    form = session.get(base + "/login", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    signed_in = session.post(
        base + "/login", data={"username": USER, "password": PASSWORD, "csrf": csrf[1] if csrf else ""},
        allow_redirects=False, timeout=30,
    )  # fmt: skip
    if signed_in.status_code != 302:
        recorder.errors.append(f"user {number}: sign-in answered {signed_in.status_code}")
        return
    dependencies: list[dict[str, Any]] = []
    while time.monotonic() < stop:
        path, values, changes = page_plan(rng, catalogue)
        recorder.timed("page", partial(session.get, base + path, timeout=30))
        layout = partial(session.get, base + "/_dash-layout", headers={"Referer": base + path}, timeout=30)
        recorder.timed("layout", layout)
        response = recorder.timed("dependencies", partial(session.get, base + "/_dash-dependencies", timeout=30))
        if response is not None and response.status_code == 200:
            dependencies = [d for d in response.json() if not d.get("clientside_function")]
        fire(session, base, recorder, dependencies, values, None)
        for component, prop, value in changes:
            if time.monotonic() >= stop:
                break
            time.sleep(rng.uniform(0.2, 1.0))  # a person reads before the next click
            values[(component, prop)] = value
            fire(session, base, recorder, dependencies, values, (component, prop))
        time.sleep(rng.uniform(0.2, 1.0))


def fire(
    session: requests.Session,
    base: str,
    recorder: Recorder,
    dependencies: list[dict[str, Any]],
    values: dict[tuple[str, str], Any],
    changed: tuple[str, str] | None,
) -> None:
    """POST the callbacks the browser fires: on load (changed=None) or after `changed` got a new value."""
    headers = {"X-CSRFToken": session.cookies.get("_csrf_token", "")}
    for dependency in dependencies:
        inputs = {(item["id"], item["property"]) for item in dependency["inputs"]}
        if changed is None:
            due = inputs <= set(values) and not dependency.get("prevent_initial_call")
        else:
            due = changed in inputs and all(key in values for key in inputs)
        if not due:
            continue
        name = changed or next(iter(inputs))
        body = callback_body(dependency, values, f"{name[0]}.{name[1]}")
        post = partial(session.post, base + "/_dash-update-component", json=body, headers=headers, timeout=30)
        recorder.timed("callback", post)


def seed(url: str, artists: int, days: int) -> None:
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "test", "DEMO_ARTISTS": str(artists)}
    subprocess.run(
        [sys.executable, "-m", "jobs", "backfill", "--days", str(days), "--end", SNAPSHOT.isoformat()],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's setting)")
    parser.add_argument("--artists", type=int, default=1000, help="demo market size of the seed")
    parser.add_argument("--days", type=int, default=35, help="days of history in the seed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    url = pg.create_throwaway_database(pg.server_url())
    process = None
    try:
        migrations.upgrade(get_engine(url))
        started = time.perf_counter()
        seed(url, args.artists, args.days)
        seed_seconds = time.perf_counter() - started
        catalogue = Catalogue(url)
        port = free_port()
        users = f"{USER}:admin:{generate_password_hash(PASSWORD, method='pbkdf2:sha256:1000')}"
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "test", "DASHBOARD_USERS": users,
               "DEMO_ARTISTS": str(args.artists), "LOG_LEVEL": "WARNING"}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dashboard.wsgi:server", "--workers", str(args.workers),
             "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/healthz")
        recorder = Recorder()
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=user, args=(n, base, stop, catalogue, recorder, args.seed), daemon=True)
            for n in range(args.users)
        ]
        for thread in threads:
            thread.start()
        time.sleep(min(10, args.seconds / 4))
        refresh_started = time.perf_counter()
        refresh = subprocess.run(
            [sys.executable, "-m", "jobs", "refresh", "--date", (SNAPSHOT + timedelta(days=1)).isoformat()],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        refresh_seconds = time.perf_counter() - refresh_started
        for thread in threads:
            thread.join(args.seconds + 120)
        with get_engine(url).connect() as conn:
            published = conn.execute(text("SELECT max(snapshot_date) FROM publications")).scalar_one()
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
        get_engine(url).dispose()
        pg.drop_database(url)

    every = [value for values in recorder.latencies.values() for value in values]
    result = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": args.users,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "seed": {"demo_artists": args.artists, "days": args.days, "seconds": round(seed_seconds, 1)},
        "machine": {"cpus": os.cpu_count()},
        "requests": len(every),
        "requests_per_second": round(len(every) / args.seconds, 1),
        "errors": len(recorder.errors),
        "error_samples": recorder.errors[:10],
        "overall": percentiles(every),
        "by_kind": {kind: percentiles(values) for kind, values in sorted(recorder.latencies.items())},
        "refresh": {
            "exit_code": refresh.returncode,
            "seconds": round(refresh_seconds, 1),
            "published_snapshot": published.isoformat() if published else None,
            "stderr_tail": refresh.stderr[-300:] if refresh.returncode else "",
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("requests", "errors", "overall", "refresh")}, indent=2))  # noqa: T201
    ok = not recorder.errors and refresh.returncode == 0 and published == SNAPSHOT + timedelta(days=1)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
