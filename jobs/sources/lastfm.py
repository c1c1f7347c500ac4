"""The `lastfm` source: listeners and playcount of watched artists and tracks, and their similar artists.

    python -m jobs refresh --source lastfm       # needs LASTFM_API_KEY and a watchlist (python -m jobs watch)

The only module that talks to Last.fm (plain requests, `format=json`). Counts are cumulative, so each run
stores that day's snapshot (`lastfm_listeners`, `lastfm_playcount`) and growth comes from our own history.
Similar artists ride on the batch (`SourceBatch.similar_artists`, the market segment) and the load stage
stores them. At most `LASTFM_RATE` requests per second (client-side limiter). Errors can arrive with HTTP 200,
so every body is checked for `"error"`: 6 (not found) is a reported skip, 29 (rate limit) and 11/16
(temporary) back off and retry boundedly, 26 (suspended key) and 10 (invalid key) stop the run with an alert
(the run fails; Admin's "Source health" shows it from `job_runs`). The watchlist comes through `SourceState`:
the source never touches storage. The API key never reaches a log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import requests

from core.logs import RedactSecrets
from core.settings import Settings
from jobs.errors import SourceUnavailable
from jobs.sources.base import OBSERVATION_COLUMNS, SIMILAR_ARTIST_COLUMNS, SourceBatch, SourceState, WatchItem

logger = logging.getLogger(__name__)
# urllib3 logs each request URL at DEBUG and Last.fm takes the key in the URL: redact at that logger.
_URL_LOGGER = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, RedactSecrets) for f in _URL_LOGGER.filters):
    _URL_LOGGER.addFilter(RedactSecrets())

SOURCE = "lastfm"
RETRY_CODES = {11, 16, 29}  # service offline, temporary error, rate limit
ALERT_CODES = {10, 26}  # invalid key, suspended key
NOT_FOUND = 6


class LastfmError(Exception):
    """Error 6: the artist or track is not on Last.fm (a reported skip)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Last.fm error {code}: {message}")
        self.code = code


class LastfmAlert(SourceUnavailable):
    """The key is invalid or suspended (or retries ran out): stop the run and say so."""


@dataclass(frozen=True)
class LastfmConfig:
    api_key: str
    api_url: str = "https://ws.audioscrobbler.com/2.0/"
    rate: float = 5.0
    timeout: float = 10.0
    max_retries: int = 3
    backoff: float = 2.0
    similar_limit: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> LastfmConfig:
        if not settings.LASTFM_API_KEY:
            raise SourceUnavailable("lastfm: set LASTFM_API_KEY")
        return cls(
            api_key=settings.LASTFM_API_KEY, api_url=settings.LASTFM_API_URL, rate=settings.LASTFM_RATE,
            timeout=settings.LASTFM_TIMEOUT, max_retries=settings.LASTFM_MAX_RETRIES,
            backoff=settings.LASTFM_BACKOFF, similar_limit=settings.LASTFM_SIMILAR_LIMIT,
        )  # fmt: skip


class RateLimiter:
    """At most `rate` calls per second: each call waits until 1/rate seconds after the previous one."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class LastfmClient:
    def __init__(
        self,
        config: LastfmConfig,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config, self.sleep = config, sleep
        self.limiter = limiter or RateLimiter(config.rate, sleep=sleep)
        self.session = requests.Session()
        self.requests = 0

    def call(self, method: str, **params: str | int) -> dict[str, Any]:
        """One API method; returns the body, raises `LastfmError` (6, other codes) or `LastfmAlert`."""
        what = f"{method}({', '.join(f'{k}={v}' for k, v in params.items())})"
        query = {"method": method, **params, "api_key": self.config.api_key, "format": "json"}
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            self.limiter.wait()
            self.requests += 1
            try:
                response = self.session.get(self.config.api_url, params=query, timeout=self.config.timeout)
            except (
                requests.Timeout,
                requests.ConnectionError,
            ) as error:  # its text holds the URL: not logged
                if last:
                    raise LastfmAlert(f"lastfm: {type(error).__name__} on {what}, gave up") from None
                self._back_off(what, attempt, type(error).__name__)
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and "error" in body:
                code = _int(body.get("error"))
                if code in ALERT_CODES:
                    raise LastfmAlert(f"lastfm: error {code} on {method}: {body.get('message')}")
                if code in RETRY_CODES and not last:
                    self._back_off(what, attempt, f"error {code}")
                    continue
                if code in RETRY_CODES:
                    raise LastfmAlert(f"lastfm: error {code} on {what} after {self.config.max_retries} retries")
                if code == NOT_FOUND:
                    raise LastfmError(code, str(body.get("message")))
                raise LastfmAlert(f"lastfm: error {code} on {method}: {body.get('message')}")
            if isinstance(body, dict) and response.status_code == 200:
                return body
            if last:
                raise LastfmAlert(f"lastfm: HTTP {response.status_code} / unreadable body on {what}, gave up")
            self._back_off(what, attempt, f"HTTP {response.status_code}")
        raise LastfmAlert(f"lastfm: {what} still failing")  # unreachable: the loop returns or raises

    def _back_off(self, what: str, attempt: int, why: str) -> None:
        delay = self.config.backoff * 2**attempt
        logger.warning("lastfm: %s on %s, retrying in %.1fs", why, what, delay)
        self.sleep(delay)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class LastfmSource:
    """Listeners/playcount snapshots for the watchlist; one batch per watched item."""

    name = SOURCE
    is_demo = False

    def __init__(self, state: SourceState, client: LastfmClient) -> None:
        self.state, self.client = state, client

    def extract(self, snapshot_date: date) -> SourceBatch:
        batches = list(self.extract_range(snapshot_date, snapshot_date))
        return SourceBatch(
            source=SOURCE,
            observations=pd.concat([b.observations for b in batches], ignore_index=True),
            similar_artists=pd.concat([b.similar_artists for b in batches], ignore_index=True),
            warnings=[w for b in batches for w in b.warnings],
        )

    def extract_range(self, start: date, end: date) -> Iterator[SourceBatch]:
        """Counts are today's cumulative totals: only `end` is fetched."""
        watched = self.state.watchlist()
        warnings = [] if start == end else [f"lastfm has no history: only {end} was fetched"]
        for item in watched:
            try:
                batch = self.lookup_batch(item, end)
            except LastfmError:
                warnings.append(f"lastfm: not found, skipped: {item.entity_type} {_label(item)}")
                continue
            except LastfmAlert as error:
                yield SourceBatch(source=SOURCE, warnings=[*warnings, f"{error}; run stopped"])
                raise
            batch.warnings[:0] = warnings
            yield batch
            warnings = []
        yield SourceBatch(source=SOURCE, warnings=warnings)

    def lookup_batch(self, item: WatchItem, day: date) -> SourceBatch:
        """Listeners and playcount of one item (and an artist's similar artists), also for an on-demand lookup.
        Raises LastfmError when Last.fm has none."""
        if not item.name or (item.entity_type == "track" and not item.artist_name):
            note = f"lastfm: no name known yet for {item.entity_type} {item.spotify_id}, skipped"
            return SourceBatch(source=SOURCE, warnings=[note])
        similar = pd.DataFrame(columns=SIMILAR_ARTIST_COLUMNS)
        if item.entity_type == "artist":
            info = self.client.call("artist.getInfo", artist=item.name, autocorrect=1).get("artist") or {}
            stats = info.get("stats") or {}
            similar = self._similar(item, day)
        else:
            info = self.client.call("track.getInfo", artist=item.artist_name or "", track=item.name, autocorrect=1)
            stats = info.get("track") or {}
            if _is_stub(stats):
                raise LastfmError(NOT_FOUND, "unknown track (Last.fm answered a stub)")
        rows = [
            {"entity_type": item.entity_type, "entity_id": item.spotify_id, "metric": f"lastfm_{key}",
             "observed_on": day, "source": SOURCE, "value": float(value)}
            for key in ("listeners", "playcount")
            if (value := _int(stats.get(key))) >= 0
        ]  # fmt: skip
        return SourceBatch(source=SOURCE, observations=_frame(rows), similar_artists=similar)

    def _similar(self, item: WatchItem, day: date) -> pd.DataFrame:
        """One day's similar-artist list of a watched artist, as `SIMILAR_ARTIST_COLUMNS` rows."""
        if self.client.config.similar_limit <= 0 or not item.name:
            return pd.DataFrame(columns=SIMILAR_ARTIST_COLUMNS)
        try:
            body = self.client.call("artist.getSimilar", artist=item.name, limit=self.client.config.similar_limit)
        except LastfmError:  # not found: no similar artists to store
            return pd.DataFrame(columns=SIMILAR_ARTIST_COLUMNS)
        similar = (body.get("similarartists") or {}).get("artist") or []
        if isinstance(similar, dict):  # XML-to-JSON: a single child arrives as an object
            similar = [similar]
        rows = [
            {"artist_id": item.spotify_id, "similar_name": s["name"], "mbid": s.get("mbid") or None,
             "match": _float(s.get("match")), "observed_on": day, "source": SOURCE, "similar_artist_id": None}
            for s in similar if isinstance(s, dict) and s.get("name")
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=SIMILAR_ARTIST_COLUMNS)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _is_stub(track: dict[str, Any]) -> bool:
    """track.getInfo answers an unknown track with HTTP 200 and a stub: no mbid, no album, duration 0."""
    return not track.get("mbid") and "album" not in track and str(track.get("duration", "0")) == "0"


def _label(item: WatchItem) -> str:
    return f"{item.name} ({item.spotify_id})" if item.name else item.spotify_id


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)


def build_lastfm_source(state: SourceState, settings: Settings) -> LastfmSource:
    return LastfmSource(state, LastfmClient(LastfmConfig.from_settings(settings)))
