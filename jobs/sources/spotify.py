"""The Spotify Web API client of the `spotify` source: spotipy, client credentials, our retry policy.

The only module that imports spotipy (the source itself, which imports this one, is
`jobs/sources/spotify_source.py`; nothing here imports it back). spotipy gets our
own `requests.Session` and `retries=0`, so it retries nothing; `SpotifyClient.call` does: 429 waits
`Retry-After` up to `SPOTIFY_RETRY_AFTER_CAP` then raises `SpotifyStop`, 429 `QUOTA_EXCEEDED` raises
`SpotifyQuotaError` at once, timeouts / 5xx / malformed JSON retry with bounded doubling backoff, a 403 on a
single-item call raises `SpotifyForbidden` (an alert), on a batch call `BatchForbidden` (development mode:
`full_tracks` then falls back to one call per track), a 404 `SpotifyNotFound`. Albums are listed 10 per
page (the 2026 maximum) and paginated. The access token lives in memory only (`MemoryCacheHandler`), and
spotipy's loggers are kept at INFO and redacted, so secrets never reach a log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

from core.artwork import DEFAULT_HOSTS, artwork_hosts
from core.logs import RedactSecrets
from core.settings import Settings
from jobs.errors import SourceUnavailable, SpotifyQuotaError

logger = logging.getLogger(__name__)
# spotipy logs request headers (bearer token, Basic client secret) at DEBUG: keep it at INFO, and redact.
logging.getLogger("spotipy").setLevel(logging.INFO)
for _name in ("spotipy", "spotipy.client", "spotipy.oauth2"):
    if not any(isinstance(f, RedactSecrets) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(RedactSecrets())


class SpotifyStop(SourceUnavailable):
    """Stop this run and checkpoint (rate limit beyond the cap); `SpotifyQuotaError` is the quota case."""


class SpotifyForbidden(SourceUnavailable):
    """403 on a single-item call: the app lost access. An alert, never 'no data'."""


class SpotifyNotFound(Exception):
    """404 for a watched id: reported and skipped."""


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
    artwork_hosts: tuple[str, ...] = DEFAULT_HOSTS  # image URLs elsewhere are not stored

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
            artwork_hosts=artwork_hosts(settings.ARTWORK_HOSTS),
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
        self.batch_allowed: bool | None = None  # unknown until the first batch call (403 = development mode)

    def call(self, what: str, function: Callable[..., Any], *args: Any, batch: bool = False, **kwargs: Any) -> Any:
        """One API call under the retry policy; `what` names it in errors (never with credentials)."""
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            self.requests += 1
            try:
                result = function(*args, **kwargs)
            except spotipy.SpotifyException as error:
                if error.http_status == 429:
                    self._wait_for_rate_limit(what, error)
                    continue  # every attempt rate limited: the error below says so
                if error.http_status == 404:
                    raise SpotifyNotFound(f"spotify: not found: {what}") from error
                if error.http_status == 403:
                    if batch:
                        raise BatchForbidden(what) from error
                    raise SpotifyForbidden(f"spotify: 403 Forbidden on {what}: {error.msg.splitlines()[-1]}") from error
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
        raise SourceUnavailable(
            f"spotify: {what} still rate limited (HTTP 429) after {self.config.max_retries} retries"
        )

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

    def albums(self, artist_id: str) -> Iterator[dict[str, Any]]:
        page = self.call(
            f"albums of {artist_id}", self.sp.artist_albums, artist_id, include_groups="album,single",
            limit=10, country=self.config.market,
        )  # fmt: skip
        count = 0
        while page:
            for album in page.get("items") or []:
                if count >= self.config.max_albums:
                    return
                count += 1
                yield album
            if not page.get("next"):
                return
            page = self.call(f"albums of {artist_id} (next page)", self.sp.next, page)

    def album_tracks(self, album: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = self.call(f"tracks of album {album['id']}", self.sp.album_tracks, album["id"], limit=50)
        while page:
            yield from page.get("items") or []
            if not page.get("next"):
                return
            page = self.call(f"tracks of album {album['id']} (next page)", self.sp.next, page)

    def full_tracks(self, track_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Full track objects (ISRC, popularity): batches of 50 where allowed, else one call per track."""
        for start in range(0, len(track_ids), 50):
            chunk = track_ids[start : start + 50]
            if self.batch_allowed is not False:
                try:
                    page = self.call(f"{len(chunk)} tracks", self.sp.tracks, chunk, batch=True)
                    self.batch_allowed = True
                    yield from (t for t in page.get("tracks") or [] if t)
                    continue
                except BatchForbidden:
                    self.batch_allowed = False
                    logger.info("spotify: batch endpoints are forbidden (development mode): per-id calls")
            for track_id in chunk:
                yield self.call(f"track {track_id}", self.sp.track, track_id)
