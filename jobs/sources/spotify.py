"""The `spotify` source: watched artists, their albums and tracks, through spotipy (client credentials).

    python -m jobs watch add https://open.spotify.com/artist/<id>   # then:
    python -m jobs refresh --source spotify

The only module that imports spotipy. spotipy gets our own `requests.Session` and `retries=0`, so it retries
nothing; `SpotifyClient.call` does: 429 waits `Retry-After` up to `SPOTIFY_RETRY_AFTER_CAP` then stops the
run, 429 `QUOTA_EXCEEDED` stops at once, timeouts / 5xx / malformed JSON retry with bounded backoff, and a 403
on a single-item call is an alert (run warning + source health, the run fails) rather than "no data".
A stopped run saves a checkpoint (`source_checkpoints`): the next run starts at the artist it stopped on.

Development-mode apps (since February 2026) get no popularity/followers and no batch endpoints: the first
artist call tells which mode the app has, a 403 on the batch call switches to per-id calls, and the missing
metrics go to `SourceBatch.unavailable_metrics` (the run and the dashboard say so). The access token lives
in memory only (spotipy's `MemoryCacheHandler`); secrets are never logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError
from sqlalchemy import Engine

from core.logs import RedactSecrets
from core.settings import Settings
from jobs.errors import SourceUnavailable, SpotifyQuotaError
from jobs.sources.base import ARTIST_COLUMNS, TRACK_ARTIST_COLUMNS, TRACK_COLUMNS, SourceBatch
from jobs.sources_store import (
    Checkpoint,
    get_checkpoint,
    known_artist_ids,
    list_watch,
    save_checkpoint,
    set_health,
)

logger = logging.getLogger(__name__)
# spotipy logs request headers (bearer token, Basic client secret) at DEBUG: keep it at INFO, and redact.
logging.getLogger("spotipy").setLevel(logging.INFO)
for _name in ("spotipy", "spotipy.client", "spotipy.oauth2"):
    if not any(isinstance(f, RedactSecrets) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(RedactSecrets())

SOURCE = "spotify"
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_REFERENCE = re.compile(
    r"^(?:spotify:(?P<uri_type>artist|track):(?P<uri_id>[0-9A-Za-z]{22})"
    r"|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?P<url_type>artist|track)/(?P<url_id>[0-9A-Za-z]{22})\S*"
    r"|(?P<bare_id>[0-9A-Za-z]{22}))$"
)
POPULARITY_METRICS = ["spotify_popularity", "spotify_followers"]


def parse_reference(reference: str) -> tuple[str, str]:
    """(entity type, id) from a Spotify URL, URI or bare id (a bare id is an artist)."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        raise ValueError(
            f"not a Spotify artist or track: {reference!r} (expected https://open.spotify.com/artist/<id>,"
            " spotify:artist:<id> or the 22-character id)"
        )
    kind = match["uri_type"] or match["url_type"] or "artist"
    return kind, match["uri_id"] or match["url_id"] or match["bare_id"]


class SpotifyStop(SourceUnavailable):
    """Stop this run and checkpoint (rate limit beyond the cap); `SpotifyQuotaError` is the quota case."""


class SpotifyForbidden(SourceUnavailable):
    """403 on a single-item call: the app lost access. An alert, never 'no data'."""


class BatchForbidden(Exception):
    """403 on a batch endpoint: a development-mode app. Switch to per-id calls."""


@dataclass(frozen=True)
class SpotifyConfig:
    client_id: str
    client_secret: str
    api_url: str = "https://api.spotify.com/v1/"
    token_url: str = "https://accounts.spotify.com/api/token"
    timeout: float = 10.0
    max_retries: int = 3
    backoff: float = 1.0
    retry_after_cap: float = 60.0
    max_albums: int = 50
    market: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SpotifyConfig:
        if not settings.SPOTIPY_CLIENT_ID or not settings.SPOTIPY_CLIENT_SECRET:
            raise SourceUnavailable("spotify: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET")
        return cls(
            client_id=settings.SPOTIPY_CLIENT_ID, client_secret=settings.SPOTIPY_CLIENT_SECRET,
            api_url=settings.SPOTIFY_API_URL, token_url=settings.SPOTIFY_TOKEN_URL,
            timeout=settings.SPOTIFY_TIMEOUT, max_retries=settings.SPOTIFY_MAX_RETRIES,
            backoff=settings.SPOTIFY_BACKOFF, retry_after_cap=settings.SPOTIFY_RETRY_AFTER_CAP,
            max_albums=settings.SPOTIFY_MAX_ALBUMS, market=settings.SPOTIFY_MARKET,
        )  # fmt: skip


class SpotifyClient:
    """spotipy with our retry policy. `sleep` is injectable so tests do not wait."""

    def __init__(self, config: SpotifyConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self.sleep = config, sleep
        session = requests.Session()
        auth = SpotifyClientCredentials(
            client_id=config.client_id, client_secret=config.client_secret, requests_session=session,
            requests_timeout=config.timeout, cache_handler=MemoryCacheHandler(),
        )  # fmt: skip
        auth.OAUTH_TOKEN_URL = config.token_url
        self.sp = spotipy.Spotify(
            auth_manager=auth, requests_session=session, requests_timeout=config.timeout,
            retries=0, status_retries=0,
        )  # fmt: skip
        self.sp.prefix = config.api_url
        self.requests = 0

    def call(
        self, what: str, function: Callable[..., Any], *args: Any, batch: bool = False, **kwargs: Any
    ) -> Any:
        """One API call under the retry policy; `what` names it in errors (never with credentials)."""
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            self.requests += 1
            try:
                result = function(*args, **kwargs)
            except spotipy.SpotifyException as error:
                if error.http_status == 429:
                    self._wait_for_rate_limit(what, error)
                    continue
                if error.http_status == 403:
                    if batch:
                        raise BatchForbidden(what) from error
                    raise SpotifyForbidden(
                        f"spotify: 403 Forbidden on {what}: {error.msg.splitlines()[-1]}"
                    ) from error
                if error.http_status >= 500 and not last:
                    self._back_off(what, attempt, f"HTTP {error.http_status}")
                    continue
                raise SourceUnavailable(f"spotify: HTTP {error.http_status} on {what}") from error
            except SpotifyOauthError as error:
                raise SourceUnavailable(f"spotify: token request refused ({error.error})") from error
            except (requests.Timeout, requests.ConnectionError) as error:
                if last:
                    raise SourceUnavailable(f"spotify: {type(error).__name__} on {what}, gave up") from error
                self._back_off(what, attempt, type(error).__name__)
                continue
            if isinstance(result, dict):
                return result
            if last:
                raise SourceUnavailable(f"spotify: malformed response on {what}, gave up")
            self._back_off(what, attempt, "malformed JSON")
        raise SourceUnavailable(f"spotify: {what} still failing after {self.config.max_retries} retries")

    def _back_off(self, what: str, attempt: int, why: str) -> None:
        delay = self.config.backoff * 2**attempt
        logger.warning("spotify: %s on %s, retrying in %.1fs", why, what, delay)
        self.sleep(delay)

    def _wait_for_rate_limit(self, what: str, error: spotipy.SpotifyException) -> None:
        if error.reason == "QUOTA_EXCEEDED":
            raise SpotifyQuotaError(f"spotify: QUOTA_EXCEEDED on {what}") from error
        header = (error.headers or {}).get("Retry-After")
        try:
            retry_after = float(header) if header is not None else self.config.backoff
        except ValueError:
            retry_after = self.config.retry_after_cap + 1
        if retry_after > self.config.retry_after_cap:
            cap = self.config.retry_after_cap
            raise SpotifyStop(
                f"spotify: rate limited on {what}, Retry-After {header}s is above the {cap:g}s cap"
            ) from error
        logger.warning("spotify: rate limited on %s, waiting Retry-After %.0fs", what, retry_after)
        self.sleep(retry_after)


@dataclass
class ArtistHarvest:
    """Everything fetched for one watched artist."""

    artists: list[dict[str, Any]] = field(default_factory=list)
    genres: list[tuple[str, str]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)


class SpotifySource:
    """The source the pipeline calls: one batch per watched artist, loaded before the next is fetched."""

    name = SOURCE
    is_demo = False

    def __init__(self, engine: Engine, client: SpotifyClient) -> None:
        self.engine, self.client = engine, client
        self.batch_allowed: bool | None = None  # unknown until the first batch call
        self.mode: str | None = None
        self.unavailable: set[str] = set()

    def extract(self, snapshot_date: date) -> SourceBatch:
        batches = list(self.extract_range(snapshot_date, snapshot_date))
        merged = SourceBatch(source=SOURCE)
        for batch in batches:
            for name in ("artists", "tracks", "track_artists", "artist_genres", "observations"):
                setattr(
                    merged, name, pd.concat([getattr(merged, name), getattr(batch, name)], ignore_index=True)
                )
            merged.warnings += batch.warnings
            merged.unavailable_metrics = batch.unavailable_metrics or merged.unavailable_metrics
        return merged

    def extract_range(self, start: date, end: date) -> Iterator[SourceBatch]:
        """Spotify has no history: only `end` is fetched. Yields one batch per artist, then a closing one."""
        with self.engine.connect() as conn:
            watched = [item.spotify_id for item in list_watch(conn=conn, entity_type="artist")]
            checkpoint = get_checkpoint(conn=conn, source=SOURCE)
        warnings = [] if start == end else [f"spotify has no history: only {end} was fetched"]
        order, done = _resume_order(watched, checkpoint, end)
        if checkpoint is not None and checkpoint.status == "stopped":
            warnings.append(f"spotify: resuming at artist {order[0] if order else '-'} ({checkpoint.reason})")
        if not watched:
            warnings.append("spotify: the watchlist is empty (python -m jobs watch add <artist URL>)")
        emitted: set[str] = set()
        for position, artist_id in enumerate(order):
            try:
                harvest = self._harvest(artist_id, end)
            except SourceUnavailable as error:
                yield from self._stop(end, order[position:], done, error, warnings)
                return
            batch = self._batch(harvest, emitted, warnings)
            warnings = []
            yield batch  # the pipeline loads it before asking for the next
            done.append(artist_id)
        self._finish(end, done, warnings)
        yield SourceBatch(source=SOURCE, warnings=warnings, unavailable_metrics=sorted(self.unavailable))

    def _stop(
        self, day: date, remaining: list[str], done: list[str], error: SourceUnavailable, warnings: list[str]
    ) -> Iterator[SourceBatch]:
        reason = str(error)
        checkpoint = Checkpoint(SOURCE, day, "stopped", remaining[0], done, reason)
        failing = not isinstance(error, SpotifyStop | SpotifyQuotaError)  # a 403, or retries ran out
        with self.engine.begin() as conn:
            save_checkpoint(conn=conn, checkpoint=checkpoint, run_id=None)
            set_health(
                conn=conn, source=SOURCE, status="failing" if failing else "degraded", message=reason,
                mode=self.mode, unavailable_metrics=sorted(self.unavailable),
            )  # fmt: skip
        note = (
            f"{reason}; stopped with {len(remaining)} artist(s) left, the next run resumes at {remaining[0]}"
        )
        yield SourceBatch(
            source=SOURCE, warnings=[*warnings, note], unavailable_metrics=sorted(self.unavailable)
        )
        if failing:
            raise error  # an alert: the run fails and the dashboard keeps the last good publication
        logger.warning("%s", note)

    def _finish(self, day: date, done: list[str], warnings: list[str]) -> None:
        with self.engine.begin() as conn:
            save_checkpoint(conn=conn, checkpoint=Checkpoint(SOURCE, day, "done", None, done), run_id=None)
            status = "degraded" if self.unavailable else "ok"
            message = (
                f"development mode: no {', '.join(sorted(self.unavailable))}" if self.unavailable else None
            )
            set_health(
                conn=conn, source=SOURCE, status=status, message=message, mode=self.mode,
                unavailable_metrics=sorted(self.unavailable),
            )  # fmt: skip
        logger.info(
            "spotify: %d artists done in %d requests (mode %s)", len(done), self.client.requests, self.mode
        )

    # --- fetching ---

    def _harvest(self, artist_id: str, day: date) -> ArtistHarvest:
        harvest = ArtistHarvest()
        artist = self.client.call(f"artist {artist_id}", self.client.sp.artist, artist_id)
        self._detect_mode(artist)
        genres = [g.strip().lower() for g in artist.get("genres") or [] if g and g.strip()]
        harvest.artists.append({"artist_id": artist_id, "name": artist.get("name") or artist_id,
                                "genre": genres[0] if genres else None})  # fmt: skip
        harvest.genres.extend((artist_id, g) for g in dict.fromkeys(genres))
        _observe(harvest, "artist", artist_id, "spotify_popularity", day, artist.get("popularity"))
        _observe(
            harvest,
            "artist",
            artist_id,
            "spotify_followers",
            day,
            (artist.get("followers") or {}).get("total"),
        )
        track_ids: list[str] = []
        for album in self._albums(artist_id):
            for track in self._album_tracks(album):
                if not track.get("id") or track["id"] in track_ids:
                    continue
                track_ids.append(track["id"])
                harvest.tracks.append(_track_row(track, album))
                for position, credit in enumerate(track.get("artists") or []):
                    if credit.get("id") and SPOTIFY_ID.fullmatch(credit["id"]):
                        harvest.links.append(
                            {"track_id": track["id"], "artist_id": credit["id"], "position": position}
                        )
                        name = credit.get("name") or credit["id"]
                        harvest.artists.append({"artist_id": credit["id"], "name": name, "genre": None})
        for full in self._full_tracks(track_ids):
            row = next(r for r in harvest.tracks if r["track_id"] == full["id"])
            row["isrc"] = (full.get("external_ids") or {}).get("isrc")
            _observe(harvest, "track", full["id"], "spotify_popularity", day, full.get("popularity"))
        return harvest

    def _detect_mode(self, artist: dict[str, Any]) -> None:
        if self.mode is not None:
            return
        has_metrics = "popularity" in artist and "followers" in artist
        self.mode = "extended" if has_metrics else "development"
        if not has_metrics:
            self.unavailable.update(POPULARITY_METRICS)
        logger.info("spotify: app looks like %s mode", self.mode)

    def _albums(self, artist_id: str) -> Iterator[dict[str, Any]]:
        page = self.client.call(
            f"albums of {artist_id}", self.client.sp.artist_albums, artist_id, include_groups="album,single",
            limit=10, country=self.client.config.market,
        )  # fmt: skip
        count = 0
        while page:
            for album in page.get("items") or []:
                if count >= self.client.config.max_albums:
                    return
                count += 1
                yield album
            if not page.get("next"):
                return
            page = self.client.call(f"albums of {artist_id} (next page)", self.client.sp.next, page)

    def _album_tracks(self, album: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = self.client.call(
            f"tracks of album {album['id']}", self.client.sp.album_tracks, album["id"], limit=50
        )
        while page:
            yield from page.get("items") or []
            if not page.get("next"):
                return
            page = self.client.call(f"tracks of album {album['id']} (next page)", self.client.sp.next, page)

    def _full_tracks(self, track_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Full track objects (ISRC, popularity): batches of 50 where allowed, else one call per track."""
        for start in range(0, len(track_ids), 50):
            chunk = track_ids[start : start + 50]
            if self.batch_allowed is not False:
                try:
                    page = self.client.call(f"{len(chunk)} tracks", self.client.sp.tracks, chunk, batch=True)
                    self.batch_allowed = True
                    yield from (t for t in page.get("tracks") or [] if t)
                    continue
                except BatchForbidden:
                    self.batch_allowed = False
                    self.mode = "development"
                    logger.info("spotify: batch endpoints are forbidden (development mode): per-id calls")
            for track_id in chunk:
                yield self.client.call(f"track {track_id}", self.client.sp.track, track_id)

    def _batch(self, harvest: ArtistHarvest, emitted: set[str], warnings: list[str]) -> SourceBatch:
        """Frames for one artist. Co-credited artists get a row only when new to the catalogue, so a
        name-only row never overwrites the genre another source or run gave them."""
        main = harvest.artists[0]
        others = {a["artist_id"]: a for a in harvest.artists[1:] if a["artist_id"] != main["artist_id"]}
        with self.engine.connect() as conn:
            known = known_artist_ids(conn=conn, artist_ids=list(others)) | emitted
        artists = [main, *(a for i, a in others.items() if i not in known)]
        emitted.update(a["artist_id"] for a in artists)
        tracks = pd.DataFrame(harvest.tracks, columns=TRACK_COLUMNS).assign(source=SOURCE)
        links = pd.DataFrame(harvest.links, columns=TRACK_ARTIST_COLUMNS).drop_duplicates(
            ["track_id", "artist_id"]
        )
        observations = pd.DataFrame(harvest.observations).assign(source=SOURCE)
        return SourceBatch(
            source=SOURCE,
            artists=pd.DataFrame(artists, columns=ARTIST_COLUMNS).assign(source=SOURCE),
            tracks=tracks,
            track_artists=links,
            artist_genres=pd.DataFrame(harvest.genres, columns=["artist_id", "genre"]),
            observations=observations.reindex(
                columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"]
            ),
            warnings=list(warnings),
            unavailable_metrics=sorted(self.unavailable),
        )


def _observe(harvest: ArtistHarvest, kind: str, entity_id: str, metric: str, day: date, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        harvest.observations.append(
            {
                "entity_type": kind,
                "entity_id": entity_id,
                "metric": metric,
                "observed_on": day,
                "value": float(value),
            }
        )


def _track_row(track: dict[str, Any], album: dict[str, Any]) -> dict[str, Any]:
    release, precision = _release(album.get("release_date"), album.get("release_date_precision"))
    return {
        "track_id": track["id"], "name": track.get("name") or track["id"], "album_name": album.get("name"),
        "release_date": release, "release_date_precision": precision, "duration_ms": track.get("duration_ms"),
        "explicit": track.get("explicit"), "isrc": None, "genre": None, "source": SOURCE,
    }  # fmt: skip


def _release(value: str | None, precision: str | None) -> tuple[date | None, str | None]:
    """Spotify's `release_date` ('2019', '2019-05' or '2019-05-17') and its stated precision."""
    if not value:
        return None, None
    formats = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
    stated = precision if precision in formats else {4: "year", 7: "month"}.get(len(value), "day")
    try:
        return datetime.strptime(value, formats[stated]).date(), stated
    except ValueError:
        return None, None


def _resume_order(
    watched: list[str], checkpoint: Checkpoint | None, day: date
) -> tuple[list[str], list[str]]:
    """Artists to fetch, in order, and those already done for `day`. After a stop the list starts where the
    last run stopped (so a quota never starves the same artists); a re-run of the same day skips done ones."""
    order = sorted(watched)
    if checkpoint is None or checkpoint.status != "stopped":
        return order, []
    if checkpoint.next_id in order:
        start = order.index(checkpoint.next_id)
        order = order[start:] + order[:start]
    done = list(checkpoint.done_ids) if checkpoint.snapshot_date == day else []
    return [artist for artist in order if artist not in done], done


def build_spotify_source(engine: Engine, settings: Settings) -> SpotifySource:
    return SpotifySource(engine, SpotifyClient(SpotifyConfig.from_settings(settings)))
