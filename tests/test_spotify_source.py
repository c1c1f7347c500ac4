"""The spotify source: real spotipy code against the local fake server, through the real refresh pipeline.

Extended and development-mode shapes, pagination, batch 403 -> per-id calls, 429 + Retry-After (under and
over the cap), QUOTA_EXCEEDED with checkpoint and resume, 403 alerts, 5xx / timeout / malformed JSON retries,
the token kept in memory, secrets kept out of logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from jobs.errors import RunFailed, SourceUnavailable
from jobs.pipeline import NO_MODEL_WARNING, RunConfig, RunOutcome, refresh
from jobs.sources.base import Checkpoint, WatchItem
from jobs.sources.spotify import SpotifyClient, SpotifyConfig
from jobs.sources.spotify_source import SpotifySource, parse_reference
from jobs.sources_store import StoredState, add_watch, get_checkpoint
from tests.fakes.source_state import MemoryState
from tests.fakes.spotify_server import CLIENT_ID, CLIENT_SECRET, FakeSpotify, fake_id

KATATONIA = "2CWWgbxApjbyByxBBCvGTm"
DAY = date(2026, 11, 20)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(server: FakeSpotify, sleeps: list[float], **config: Any) -> SpotifyClient:
    settings = {"timeout": 0.5, "max_retries": 2, "backoff": 1.0, "retry_after_cap": 60.0, **config}
    secret = settings.pop("secret", CLIENT_SECRET)
    spotify = SpotifyConfig(CLIENT_ID, secret, api_url=server.api_url, token_url=server.token_url, **settings)
    return SpotifyClient(spotify, sleep=sleeps.append)


def make_source(engine: Engine, server: FakeSpotify, sleeps: list[float], **config: Any) -> SpotifySource:
    return SpotifySource(StoredState(engine), make_client(server, sleeps, **config))


def watch(engine: Engine, *artist_ids: str) -> None:
    with engine.begin() as conn:
        for artist_id in artist_ids:
            add_watch(conn=conn, entity_type="artist", spotify_id=artist_id, name=None, added_by="test")


def run(engine: Engine, source: SpotifySource, day: date = DAY) -> RunOutcome:
    return refresh(engine, source, snapshot_date=day, trigger="cli", requested_by="test", config=RunConfig())


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


@pytest.fixture
def one_artist() -> Iterator[FakeSpotify]:
    with FakeSpotify({KATATONIA: "Katatonia"}) as server:
        yield server


def test_watch_references() -> None:
    assert parse_reference(f"https://open.spotify.com/artist/{KATATONIA}?si=abc123") == ("artist", KATATONIA)
    assert parse_reference(f"https://open.spotify.com/intl-de/track/{KATATONIA}") == ("track", KATATONIA)
    assert parse_reference(f"spotify:artist:{KATATONIA}") == ("artist", KATATONIA)
    assert parse_reference(f"  {KATATONIA} ") == ("artist", KATATONIA)
    for bad in ("https://open.spotify.com/album/" + KATATONIA, "Katatonia", KATATONIA + "x", ""):
        with pytest.raises(ValueError, match="not a Spotify artist or track"):
            parse_reference(bad)


def test_extended_mode_loads_artist_albums_tracks_isrc_and_metrics(
    clean_db: Engine,
    one_artist: FakeSpotify,
    sleeps: list[float],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # spotipy's default token cache would write .cache here
    watch(clean_db, KATATONIA)
    source = make_source(clean_db, one_artist, sleeps)
    outcome = run(clean_db, source)
    assert rows(clean_db, "SELECT name, genre FROM artists WHERE artist_id = :a", a=KATATONIA) == [
        ("Katatonia", "doom metal")
    ]
    assert rows(clean_db, "SELECT count(*) FROM artist_genres WHERE artist_id = :a", a=KATATONIA) == [(8,)]
    # 12 albums (two pages of limit 10) x 3 tracks; every 5th album has a year-only release date
    assert rows(clean_db, "SELECT release_date_precision, count(*) FROM tracks GROUP BY 1 ORDER BY 1") == [
        ("day", 30), ("year", 6)
    ]  # fmt: skip
    assert rows(clean_db, "SELECT count(*) FROM tracks WHERE isrc LIKE 'QZ%'") == [(36,)]
    assert one_artist.paths(r"/albums\?.*limit=10&offset=10") and not one_artist.paths(r"limit=(?!10\b|50\b)")
    assert len(one_artist.paths(r"GET /v1/tracks/\?ids=")) == 1  # one batch call for 36 tracks
    observed = rows(
        clean_db,
        "SELECT entity_type, metric, count(*), max(value) FROM raw_observations GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert observed == [
        ("artist", "spotify_followers", 1, 327_891.0),
        ("artist", "spotify_popularity", 1, 57.0),
        ("track", "spotify_popularity", 36, 42.0),
    ]
    assert rows(clean_db, "SELECT artist_id, position FROM track_artists WHERE artist_id <> :a", a=KATATONIA) == [
        ("19HFRWmRCl27kTk6LeqAO8", 1)
    ]  # the co-credited artist, with a catalogue row of its own
    with clean_db.connect() as conn:
        checkpoint = get_checkpoint(conn=conn, source="spotify")
    assert source.mode == "extended"
    assert checkpoint is not None and (checkpoint.status, checkpoint.done_ids) == ("done", [KATATONIA])
    # the source returned its checkpoint and its rows; the pipeline stored them under the run's id
    assert rows(clean_db, "SELECT run_id FROM source_checkpoints") == [(outcome.run_id,)]
    assert rows(clean_db, "SELECT DISTINCT run_id FROM raw_observations") == [(outcome.run_id,)]
    assert outcome.publication_id is not None and outcome.warnings == [NO_MODEL_WARNING]
    assert sleeps == [] and not list(tmp_path.iterdir())  # no retries; no token file written


def test_the_source_returns_records_and_its_checkpoint_without_a_database(
    one_artist: FakeSpotify, sleeps: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    state = MemoryState([WatchItem("artist", KATATONIA, None, None)])
    batches = list(SpotifySource(state, make_client(one_artist, sleeps)).extract_range(DAY, DAY))
    assert sum(len(batch.tracks) for batch in batches) == 36
    assert sorted(pd.concat([b.artists for b in batches])["artist_id"]) == sorted([KATATONIA, "19HFRWmRCl27kTk6LeqAO8"])
    assert state.asked == [["19HFRWmRCl27kTk6LeqAO8"]]  # the co-credited artist: new to this catalogue, so a row
    assert [b.checkpoint for b in batches if b.checkpoint] == [Checkpoint("spotify", DAY, "done", None, [KATATONIA])]


def test_development_mode_uses_per_id_calls_and_reports_missing_metrics(clean_db: Engine, sleeps: list[float]) -> None:
    with FakeSpotify({KATATONIA: "Katatonia"}, mode="development", albums_per_artist=2) as server:
        watch(clean_db, KATATONIA)
        source = make_source(clean_db, server, sleeps)
        outcome = run(clean_db, source)
    assert len(server.paths(r"GET /v1/tracks/\?ids=")) == 1  # tried once, 403, never again
    assert len(server.paths(r"GET /v1/tracks/[0-9a-f]{22}$")) == 6  # then one call per track
    assert rows(clean_db, "SELECT count(*) FROM tracks WHERE isrc IS NOT NULL") == [(6,)]  # external_ids kept
    assert rows(clean_db, "SELECT count(*) FROM raw_observations") == [(0,)]
    assert "metric unavailable from spotify: spotify_followers" in outcome.warnings
    summary = rows(clean_db, "SELECT summary -> 'unavailable_metrics' FROM publications")[0][0]
    assert summary == ["spotify_followers", "spotify_popularity"]
    assert source.mode == "development"


def test_rate_limit_under_the_cap_waits_retry_after(
    clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float]
) -> None:
    watch(clean_db, KATATONIA)
    one_artist.fail(r"/albums$", "429", retry_after=3)
    run(clean_db, make_source(clean_db, one_artist, sleeps))
    assert sleeps == [3.0]
    assert rows(clean_db, "SELECT count(*) FROM tracks") == [(36,)]


@pytest.mark.parametrize("fault", ["quota", "long-retry-after"])
def test_quota_or_long_retry_after_stops_with_a_checkpoint_and_the_next_run_resumes(
    clean_db: Engine, sleeps: list[float], fault: str
) -> None:
    artists = {fake_id("artist", n): f"Artist {n}" for n in range(3)}
    first, second, third = sorted(artists)
    with FakeSpotify(artists, albums_per_artist=1) as server:
        watch(clean_db, *artists)
        if fault == "quota":
            server.fail(rf"/v1/artists/{second}$", "quota", retry_after=1)
        else:
            server.fail(rf"/v1/artists/{second}$", "429", retry_after=3600)
        stopped = run(clean_db, make_source(clean_db, server, sleeps))
        assert sleeps == []  # never waited an hour
        note = next(w for w in stopped.warnings if "resumes at" in w)
        assert ("QUOTA_EXCEEDED" if fault == "quota" else "above the 60s cap") in note
        assert rows(clean_db, "SELECT artist_id FROM artists WHERE artist_id = ANY(:ids)", ids=list(artists)) == [
            (first,)
        ]
        with clean_db.connect() as conn:
            checkpoint = get_checkpoint(conn=conn, source="spotify")
        assert checkpoint is not None and (checkpoint.status, checkpoint.next_id) == ("stopped", second)
        assert checkpoint.done_ids == [first]
        assert rows(clean_db, "SELECT run_id FROM source_checkpoints") == [(stopped.run_id,)]
        assert stopped.publication_id is not None  # a stop is not an alert: what was fetched is published

        server.requests.clear()
        resumed = run(clean_db, make_source(clean_db, server, sleeps))  # same day: skips the done artist
        artist_calls = server.paths(r"GET /v1/artists/[0-9a-zA-Z]{22}$")
        assert artist_calls == [f"GET /v1/artists/{second}", f"GET /v1/artists/{third}"]
        assert any(w.startswith(f"spotify: resuming at {second}") for w in resumed.warnings)
    assert len(rows(clean_db, "SELECT artist_id FROM artists WHERE artist_id = ANY(:ids)", ids=list(artists))) == 3
    with clean_db.connect() as conn:
        done = get_checkpoint(conn=conn, source="spotify")
    assert done is not None and done.status == "done"


def test_forbidden_single_item_call_is_an_alert_not_no_data(
    clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float]
) -> None:
    watch(clean_db, KATATONIA)
    good = run(clean_db, make_source(clean_db, one_artist, sleeps), day=date(2026, 11, 19))
    one_artist.fail(rf"/v1/artists/{KATATONIA}$", "403")
    with pytest.raises(RunFailed, match="403 Forbidden on artist"):
        run(clean_db, make_source(clean_db, one_artist, sleeps))
    failed = rows(clean_db, "SELECT status, warnings, error FROM job_runs ORDER BY run_id DESC LIMIT 1")[0]
    assert failed[0] == "failed" and any("403 Forbidden" in w for w in failed[1])
    assert "403 Forbidden" in failed[2]  # what Admin's "Source health" shows (from job_runs)
    assert rows(clean_db, "SELECT publication_id FROM publications") == [(good.publication_id,)]  # kept


@pytest.mark.parametrize("kind", ["500", "timeout", "malformed"])
def test_transient_failures_retry_with_backoff(
    clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float], kind: str
) -> None:
    watch(clean_db, KATATONIA)
    one_artist.fail(rf"/v1/artists/{KATATONIA}$", kind, times=2)
    run(clean_db, make_source(clean_db, one_artist, sleeps))
    assert sleeps == [1.0, 2.0]  # backoff doubles
    assert rows(clean_db, "SELECT name FROM artists WHERE artist_id = :a", a=KATATONIA) == [("Katatonia",)]


def test_retries_are_bounded(clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float]) -> None:
    watch(clean_db, KATATONIA)
    one_artist.fail(rf"/v1/artists/{KATATONIA}$", "500", times=10)
    with pytest.raises(RunFailed, match="HTTP 500 on artist"):
        run(clean_db, make_source(clean_db, one_artist, sleeps))
    assert len(one_artist.paths(rf"/v1/artists/{KATATONIA}$")) == 3  # 1 + max_retries


def test_bad_credentials_are_a_clear_error(one_artist: FakeSpotify, sleeps: list[float], clean_db: Engine) -> None:
    source = make_source(clean_db, one_artist, sleeps, secret="wrong")
    with pytest.raises(SourceUnavailable, match="token request refused"):
        source.client.call("artist", source.client.sp.artist, KATATONIA)


def test_secrets_never_reach_the_logs(
    clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    watch(clean_db, KATATONIA)
    one_artist.fail(r"/albums$", "500")
    run(clean_db, make_source(clean_db, one_artist, sleeps))
    assert "HTTP 500" in caplog.text  # the logs were captured
    assert CLIENT_SECRET not in caplog.text and one_artist.token not in caplog.text


def test_watched_tracks_and_unknown_ids(clean_db: Engine, one_artist: FakeSpotify, sleeps: list[float]) -> None:
    """A watched track is fetched on its own; an id Spotify does not know (404) is reported and skipped."""
    track_id = next(iter(one_artist.tracks))
    missing = fake_id("artist", "gone")
    with clean_db.begin() as conn:
        add_watch(conn=conn, entity_type="track", spotify_id=track_id, name=None, added_by="test")
        add_watch(conn=conn, entity_type="artist", spotify_id=missing, name=None, added_by="test")
    outcome = run(clean_db, make_source(clean_db, one_artist, sleeps))
    assert f"spotify: not found: artist {missing}, skipped" in outcome.warnings
    assert rows(clean_db, "SELECT name, isrc IS NOT NULL FROM tracks WHERE track_id = :t", t=track_id) == [
        ("Katatonia song 0.0", True)
    ]
    assert rows(clean_db, "SELECT artist_id, name, genre FROM artists ORDER BY name") == [
        (KATATONIA, "Katatonia", None),
        ("19HFRWmRCl27kTk6LeqAO8", "MORTEN", None),
    ]  # credited artists of a watched track get name-only rows
    assert rows(clean_db, "SELECT value FROM raw_observations WHERE entity_id = :t", t=track_id) == [(40.0,)]


def test_cli_watch_and_refresh_wire_settings_to_the_fakes(
    clean_db: Engine, one_artist: FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m jobs watch add` + `refresh --source spotify` with only settings pointing at the fake."""
    from core.settings import get_settings
    from jobs.cli import main

    for name, value in {
        "DATABASE_URL": clean_db.url.render_as_string(hide_password=False),
        "SPOTIPY_CLIENT_ID": CLIENT_ID, "SPOTIPY_CLIENT_SECRET": CLIENT_SECRET,
        "SPOTIFY_API_URL": one_artist.api_url, "SPOTIFY_TOKEN_URL": one_artist.token_url,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["watch", "add", f"https://open.spotify.com/artist/{KATATONIA}?si=x"]) == 0
        assert main(["watch", "add", "https://open.spotify.com/album/" + KATATONIA]) == 1  # not an artist
        assert main(["refresh", "--source", "spotify", "--date", DAY.isoformat()]) == 0
    finally:
        get_settings.cache_clear()
    assert rows(clean_db, "SELECT kind, source, status FROM job_runs") == [("refresh", "spotify", "succeeded")]
    assert rows(clean_db, "SELECT count(*) FROM tracks") == [(36,)]
