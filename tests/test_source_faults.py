"""Sources misbehaving for a whole run, end to end through `refresh` with the local fake Spotify.

tests/test_spotify_source.py covers single faults (one 429, one QUOTA_EXCEEDED, two 5xx/timeouts/malformed
bodies that a retry absorbs). Here the fault persists for the whole run (a 429 storm, quota on every call,
5xx, timeouts and truncated JSON on every artist call) or the API drops a field. Each fault has one
right outcome (see FAULTS): the run fails, or completes with what it could get and a checkpoint; in every case the
previous publication is byte-for-byte what it was, any new publication is complete, and `job_runs` says what
happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from jobs.errors import RunFailed
from tests.fakes.spotify_server import FakeSpotify, fake_id
from tests.test_spotify_source import make_source, run, watch

DAY = date(2026, 11, 20)
ARTISTS = {fake_id("artist", n): f"Artist {n}" for n in range(3)}
FIGURES: dict[str, str] = {}


def storm(kind: str, retry_after: float | None = None) -> Callable[[FakeSpotify], str]:
    def apply(server: FakeSpotify) -> str:
        server.fail(r"/v1/(artists|albums|tracks)", kind, times=500, retry_after=retry_after)
        if retry_after and retry_after > 60:
            return "above the 60s cap"
        return {"quota": "QUOTA_EXCEEDED", "timeout": "ReadTimeout", "malformed": "malformed response"}.get(
            kind, f"HTTP {kind}"
        )

    return apply


def vanished_fields(server: FakeSpotify) -> str:
    for artist in server.artists.values():
        artist.pop("followers")  # the field a development-mode app lost in February 2026
        artist.pop("popularity")
    return "spotify_followers"


# Each fault has ONE right outcome. A fault that retries cannot absorb fails the run (nothing new is published).
# A quota or a Retry-After beyond the cap stops the source early with a checkpoint: the run completes with what it
# had and says so, and the next run resumes. A vanished field completes with the metric reported unavailable.
FAILS, COMPLETES = "failed", "succeeded"
FAULTS: dict[str, tuple[Callable[[FakeSpotify], str], str]] = {
    "429 storm": (storm("429", retry_after=1), FAILS),
    "429 storm with a long Retry-After": (storm("429", retry_after=3600), COMPLETES),
    "QUOTA_EXCEEDED on every call": (storm("quota", retry_after=1), COMPLETES),
    "5xx on every call": (storm("500"), FAILS),
    "timeouts on every call": (storm("timeout"), FAILS),
    "truncated JSON on every call": (storm("malformed"), FAILS),
    "a vanished API field": (vanished_fields, COMPLETES),
}


def snapshot(engine: Engine, publication_id: int) -> dict[str, Any]:
    """Every published row of one publication, to compare before and after the faulty run."""
    with engine.connect() as conn:
        summary = conn.execute(
            text("SELECT summary FROM publications WHERE publication_id = :p"), {"p": publication_id}
        ).scalar_one()
        return {
            table: sorted(
                map(str, conn.execute(text(f"SELECT * FROM {table} WHERE publication_id = :p"), {"p": publication_id}))
            )
            for table in summary["rows"]
        }


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_source_failing_for_a_whole_run_never_corrupts_what_is_published(clean_db: Engine, fault: str) -> None:
    sleeps: list[float] = []
    with FakeSpotify(ARTISTS, albums_per_artist=1, timeout_delay=0.6) as server:
        watch(clean_db, *ARTISTS)
        good = run(clean_db, make_source(clean_db, server, sleeps, timeout=0.3), day=DAY - timedelta(days=1))
        assert good.publication_id is not None
        before = snapshot(clean_db, good.publication_id)
        apply, expected_status = FAULTS[fault]
        expected = apply(server)
        try:
            outcome = run(clean_db, make_source(clean_db, server, sleeps, timeout=0.3))
            result = f"completed, {len(outcome.warnings)} warning(s)"
        except RunFailed as error:
            outcome, result = None, f"failed: {error}"
    assert snapshot(clean_db, good.publication_id) == before  # the previous publication is untouched
    with clean_db.connect() as conn:
        last = conn.execute(text("SELECT status, error, warnings FROM job_runs ORDER BY run_id DESC LIMIT 1")).one()
        publications = conn.execute(text("SELECT publication_id FROM publications ORDER BY 1")).scalars().all()
    said = f"{last.error or ''} {' '.join(last.warnings or [])}"
    assert expected.lower() in said.lower(), f"job_runs does not say what happened: {said!r}"
    assert last.status == expected_status, f"{fault}: expected the run to end {expected_status}, it {result}"
    if outcome is None:
        assert last.status == "failed" and publications == [good.publication_id]
    else:
        assert last.status == "succeeded" and outcome.publication_id == publications[-1]
        latest = snapshot(clean_db, outcome.publication_id)  # complete: the counts it claims are there
        with clean_db.connect() as conn:
            claimed = conn.execute(
                text("SELECT summary FROM publications WHERE publication_id = :p"), {"p": outcome.publication_id}
            ).scalar_one()["rows"]
        assert {table: len(rows) for table, rows in latest.items()} == claimed
    assert all(delay <= 60 for delay in sleeps)  # never waited on a Retry-After above the cap
    FIGURES[fault] = f"{result}; {len(server.requests)} requests over both runs; waited {sum(sleeps):g}s (fake clock)"
    print(f"\nsource fault '{fault}': {FIGURES[fault]}")  # noqa: T201 (the figure docs/hardening.md quotes)
