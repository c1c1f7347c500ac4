"""The lastfm source against the local fake Last.fm: daily cumulative snapshots, similar artists, the
client-side rate limiter, errors inside HTTP 200 bodies, 29 backs off, 26 stops with an alert, 6 is a skip."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from jobs.errors import RunFailed
from jobs.load import load_batch
from jobs.pipeline import RunConfig, RunOutcome, refresh
from jobs.sources.base import SourceBatch, WatchItem
from jobs.sources.lastfm import LastfmClient, LastfmConfig, LastfmSource, RateLimiter
from jobs.sources_store import StoredState, add_watch
from tests.fakes.lastfm_server import API_KEY, FakeLastfm
from tests.fakes.source_state import MemoryState

WEEKND, LINKIN, STEP = "1Xyo4u8uXC1ZmMpatF05PJ", "6XyY86QOPPrYVGvF9ch6wz", "3K4HG9evC7dg3N0R9cYqk4"
DAY = date(2026, 11, 20)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def server() -> Iterator[FakeLastfm]:
    with FakeLastfm(
        {"The Weeknd": (1_688_480, 135_692_303)},
        {("Linkin Park", "One Step Closer"): (1_315_650, 11_022_708)},
    ) as fake:
        yield fake


@pytest.fixture
def watched(clean_db: Engine) -> Engine:
    """The Weeknd watched by label; a track whose name and artist come from the catalogue."""
    batch = SourceBatch(
        source="spotify",
        artists=pd.DataFrame([{"artist_id": LINKIN, "name": "Linkin Park", "genre": None, "source": "spotify"}]),
        tracks=pd.DataFrame([{"track_id": STEP, "name": "One Step Closer", "source": "spotify"}]),
        track_artists=pd.DataFrame([{"track_id": STEP, "artist_id": LINKIN, "position": 0}]),
    )
    batch.tracks = batch.tracks.reindex(columns=SourceBatch(source="x").tracks.columns)
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=batch, run_id=None)
        add_watch(conn=conn, entity_type="artist", spotify_id=WEEKND, name="The Weeknd", added_by="test")
        add_watch(conn=conn, entity_type="track", spotify_id=STEP, name=None, added_by="test")
    return clean_db


def make_source(engine: Engine, server: FakeLastfm, clock: FakeClock, **config: Any) -> LastfmSource:
    settings = {"api_key": API_KEY, "api_url": server.api_url, "timeout": 0.5, "max_retries": 2, **config}
    limiter = RateLimiter(5.0, clock=clock.clock, sleep=clock.sleep)
    return LastfmSource(StoredState(engine), LastfmClient(LastfmConfig(**settings), sleep=clock.sleep, limiter=limiter))


def run(engine: Engine, source: LastfmSource, day: date = DAY) -> RunOutcome:
    return refresh(engine, source, snapshot_date=day, trigger="cli", requested_by="test", config=RunConfig())


def observations(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        sql = "SELECT entity_id, metric, observed_on, value FROM raw_observations WHERE source = 'lastfm'"
        return [tuple(r) for r in conn.execute(text(sql + " ORDER BY 1, 2, 3"))]


def test_the_source_returns_counts_and_similar_artists_without_a_database(server: FakeLastfm) -> None:
    clock = FakeClock()
    client = LastfmClient(
        LastfmConfig(api_key=API_KEY, api_url=server.api_url, timeout=0.5, max_retries=2),
        sleep=clock.sleep, limiter=RateLimiter(5.0, clock=clock.clock, sleep=clock.sleep),
    )  # fmt: skip
    source = LastfmSource(MemoryState([WatchItem("artist", WEEKND, "The Weeknd", None)]), client)
    batch = source.extract(DAY)
    assert sorted(batch.observations["metric"]) == ["lastfm_listeners", "lastfm_playcount"]
    similar = batch.similar_artists
    assert len(similar) == 3 and set(similar["source"]) == {"lastfm"} and set(similar["observed_on"]) == {DAY}
    assert similar.sort_values("match", ascending=False)["similar_name"].iloc[0] == "Megadeth"


def test_daily_snapshots_of_cumulative_counts_and_similar_artists(
    watched: Engine, server: FakeLastfm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run(watched, make_source(watched, server, FakeClock()))
    server.artists["The Weeknd"] = (1_700_000, 136_000_000)
    run(watched, make_source(watched, server, FakeClock()), day=date(2026, 11, 21))
    later = date(2026, 11, 21)
    assert observations(watched) == [
        (WEEKND, "lastfm_listeners", DAY, 1_688_480.0), (WEEKND, "lastfm_listeners", later, 1_700_000.0),
        (WEEKND, "lastfm_playcount", DAY, 135_692_303.0), (WEEKND, "lastfm_playcount", later, 136_000_000.0),
        (STEP, "lastfm_listeners", DAY, 1_315_650.0), (STEP, "lastfm_listeners", later, 1_315_650.0),
        (STEP, "lastfm_playcount", DAY, 11_022_708.0), (STEP, "lastfm_playcount", later, 11_022_708.0),
    ]  # fmt: skip
    with watched.connect() as conn:
        similar = conn.execute(text("SELECT similar_name, match FROM similar_artists WHERE observed_on = :d"
                                    " ORDER BY match DESC, similar_name"), {"d": DAY}).all()  # fmt: skip
        similar_source = conn.execute(text("SELECT DISTINCT source FROM similar_artists")).scalars().all()
    assert [name for name, _ in similar][:1] == ["Megadeth"] and len(similar) == 3
    assert similar_source == ["lastfm"]  # returned on the batch, stored by the load stage
    track_calls = [r for r in server.requests if r["method"] == "track.getInfo"]
    assert track_calls[0]["artist"] == "Linkin Park" and track_calls[0]["track"] == "One Step Closer"
    assert all(r["format"] == "json" for r in server.requests)
    assert "artist.getInfo" in caplog.text or caplog.records  # something was logged
    assert API_KEY not in caplog.text


def test_rate_limiter_spaces_requests() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock.clock, sleep=clock.sleep)
    for _ in range(4):
        limiter.wait()
    assert clock.sleeps == [0.2, 0.2, 0.2]
    clock.now += 10  # idle: no wait
    limiter.wait()
    assert clock.sleeps == [0.2, 0.2, 0.2]


def test_client_calls_go_through_the_limiter(watched: Engine, server: FakeLastfm) -> None:
    clock = FakeClock()
    run(watched, make_source(watched, server, clock))
    assert len(server.requests) == 3 and clock.sleeps == [0.2, 0.2]  # 3 calls in 0 fake seconds: 5/s


@pytest.mark.parametrize("kind", ["29", "29-429", "11", "16", "500", "malformed", "timeout"])
def test_transient_errors_back_off_and_retry(watched: Engine, server: FakeLastfm, kind: str) -> None:
    clock = FakeClock()
    server.fail("artist.getInfo", kind, times=2)
    run(watched, make_source(watched, server, clock))
    assert [s for s in clock.sleeps if s >= 2] == [
        2.0,
        4.0,
    ]  # LASTFM_BACKOFF doubling (limiter waits are 0.2)
    assert (WEEKND, "lastfm_listeners", DAY, 1_688_480.0) in observations(watched)


def test_rate_limit_that_persists_stops_with_an_alert(watched: Engine, server: FakeLastfm) -> None:
    server.fail("artist.getInfo", "29", times=5)
    with pytest.raises(RunFailed, match="error 29"):
        run(watched, make_source(watched, server, FakeClock()))


def test_suspended_key_stops_the_run_with_an_alert(watched: Engine, server: FakeLastfm) -> None:
    server.fail("artist.getInfo", "26")
    with pytest.raises(RunFailed, match="error 26"):
        run(watched, make_source(watched, server, FakeClock()))
    assert len(server.requests) == 1  # no retry of a suspended key
    with watched.connect() as conn:
        status, error, warnings = conn.execute(text("SELECT status, error, warnings FROM job_runs")).one()
    assert status == "failed" and "Suspended" in error  # what Admin's "Source health" shows (from job_runs)
    assert any("error 26" in w for w in warnings)


def test_invalid_key_is_an_alert(watched: Engine, server: FakeLastfm) -> None:
    with pytest.raises(RunFailed, match="error 10"):
        run(watched, make_source(watched, server, FakeClock(), api_key="wrong"))


def test_not_found_is_a_reported_skip(watched: Engine, server: FakeLastfm) -> None:
    server.artists.clear()  # artist.getInfo now answers error 6 (HTTP 404)
    server.tracks.clear()  # track.getInfo answers a stub with HTTP 200
    outcome = run(watched, make_source(watched, server, FakeClock()))
    assert "lastfm: not found, skipped: artist The Weeknd (1Xyo4u8uXC1ZmMpatF05PJ)" in outcome.warnings
    assert any(w.startswith("lastfm: not found, skipped: track") for w in outcome.warnings)
    assert observations(watched) == []


def test_cli_refresh_wires_settings_to_the_fake(
    watched: Engine, server: FakeLastfm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from jobs.cli import main

    monkeypatch.setenv("DATABASE_URL", watched.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LASTFM_API_KEY", API_KEY)
    monkeypatch.setenv("LASTFM_API_URL", server.api_url)
    monkeypatch.setenv("LASTFM_RATE", "50")
    get_settings.cache_clear()
    try:
        assert main(["refresh", "--source", "lastfm", "--date", DAY.isoformat()]) == 0
    finally:
        get_settings.cache_clear()
    assert len(observations(watched)) == 4
