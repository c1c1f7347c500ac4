"""One settings object, read from the environment (and a local-only `.env`).

Only entry points call `get_settings()`; everything else takes values as arguments.
Every field here is documented in the README's settings table (a test checks it).
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.artwork import artwork_hosts
from core.keys import weak_key_reason

NO_DATABASE = (
    "DATABASE_URL is not set: APP_ENV=production does not start the embedded PostgreSQL (it is for development "
    "and the demo, and keeps its data in a local folder). Set DATABASE_URL=postgresql://user:password@host/db."
)


def normalise_database_url(url: str) -> str:
    """Point any PostgreSQL URL at the psycopg 3 driver (hosts hand out `postgres://`)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    APP_ENV: Literal["development", "test", "production"] = "development"
    LOG_LEVEL: str = "INFO"
    DATABASE_URL: str | None = None
    EMBEDDED_PGDATA: str = ".pgdata"

    SOURCE: str = "demo"
    DEMO_SEED: int = 42
    DEMO_ARTISTS: int = Field(default=3000, ge=10)
    DEMO_START: date = date(2023, 1, 1)
    BACKFILL_DAYS: int = Field(default=90, ge=1)

    DAILY_CRON: str = "0 6 * * *"
    QUEUE_POLL_SECONDS: int = Field(default=5, ge=1)
    QUEUE_MAX_ATTEMPTS: int = Field(default=3, ge=1)  # runs of one request a killed worker may abandon
    KEEP_PUBLICATIONS: int = Field(default=3, ge=2)
    KEEP_OBSERVATION_MONTHS: int = Field(default=0, ge=0)  # `jobs retention`: whole months kept; 0 = all

    HIT_THRESHOLD: float = 70.0
    HIT_HORIZON_DAYS: int = Field(default=28, ge=1)
    EMERGING_LIST_SIZE: int = Field(default=50, ge=1)
    REASONS_PROBABILITY_FLOOR: float = Field(default=0.05, ge=0.0, le=1.0)  # reasons (TreeSHAP) at or above this
    REASONS_MAX_TRACKS: int = Field(default=5000, ge=0)  # at most this many above the floor (lists always get them)
    OPTUNA_TRIALS: int = Field(default=40, ge=1)
    TRAIN_TIME_BUDGET: int = Field(default=120, ge=1)
    MODEL_SEED: int = 42

    SPOTIPY_CLIENT_ID: str | None = None
    SPOTIPY_CLIENT_SECRET: str | None = None
    LASTFM_API_KEY: str | None = None

    SECRET_KEY: str = "changethis"
    WEB_CONCURRENCY: int = Field(default=2, ge=1)
    PORT: int = 8050

    # --- model ---
    HIT_METRIC: str = "spotify_popularity"  # the track metric a hit is defined on (`chart_position`: lower wins)
    MODEL_TRAIN_DAYS: int = Field(default=240, ge=60)  # days of history `python -m jobs train` reads
    MODEL_STEP_DAYS: int = Field(default=7, ge=1)  # one training date every N days (daily rows are near-copies)
    MODEL_FOLDS: int = Field(default=6, ge=1)  # rolling-origin forward origins evaluated (after 2 selection ones)
    MODEL_NUM_THREADS: int = Field(default=1, ge=1)  # LightGBM threads per fit (fixed, for reproducible models)
    MODEL_MAX_ROUNDS: int = Field(default=400, ge=10)  # boosting rounds cap (the tuned round count stays below it)
    DASK_SCHEDULER: str | None = None  # tcp://host:port of a Dask scheduler: scoring and the final fit run there

    # --- dashboard ---
    # Who may sign in: comma-separated `name:role:hash` (role viewer or admin; make a hash with
    # `python -m dashboard.auth hash`). Empty means admin/admin in development only (logged as a warning).
    DASHBOARD_USERS: str = ""
    LOGIN_MAX_FAILURES: int = Field(default=5, ge=1)  # wrong passwords per user, and per address, per window
    LOGIN_WINDOW_MINUTES: int = Field(default=15, ge=1)
    LOGIN_CEILING: int = Field(default=30, ge=1)  # wrong passwords per user (any address) per window: locks, alerts
    SESSION_HOURS: int = Field(default=12, ge=1)  # idle lifetime: a session unused this long ends
    SESSION_MAX_HOURS: int = Field(default=72, ge=1)  # absolute lifetime: sign in again after this, even if in use
    WEB_STATEMENT_TIMEOUT_MS: int = Field(default=5000, ge=100)  # every web-tier SQL statement
    WEB_LOCK_TIMEOUT_MS: int = Field(default=2000, ge=50)  # a web-tier statement waiting on a lock gives up
    MAX_REQUEST_KB: int = Field(default=256, ge=16)  # request bodies above this get 413 (callbacks need a few KB)
    STALE_AFTER_HOURS: int = Field(default=36, ge=1)  # Morning warns when the publication is older than this

    # --- sources ---
    IMPORT_CHUNK_ROWS: int = Field(default=20_000, ge=100)  # rows per loaded chunk of `python -m jobs import`
    SPOTIFY_API_URL: str = "https://api.spotify.com/v1/"  # tests point it at the local fake server
    SPOTIFY_TOKEN_URL: str = "https://accounts.spotify.com/api/token"
    SPOTIFY_TIMEOUT: float = Field(default=10.0, gt=0)  # seconds per request
    SPOTIFY_MAX_RETRIES: int = Field(default=3, ge=0)  # for timeouts, 5xx and malformed JSON
    SPOTIFY_BACKOFF: float = Field(default=1.0, ge=0)  # first retry delay in seconds, doubled each time
    SPOTIFY_RETRY_AFTER_CAP: float = Field(default=60.0, ge=0)  # a longer 429 Retry-After stops the run
    SPOTIFY_MAX_ALBUMS: int = Field(default=50, ge=1)  # albums and singles per watched artist
    SPOTIFY_MARKET: str | None = None  # ISO country for album listings (None: all markets)
    ARTWORK_HOSTS: str = "i.scdn.co"  # comma-separated https hosts whose image URLs are stored and shown (the CSP)
    LASTFM_API_URL: str = "https://ws.audioscrobbler.com/2.0/"
    LASTFM_RATE: float = Field(default=5.0, gt=0)  # requests per second, client-side
    LASTFM_TIMEOUT: float = Field(default=10.0, gt=0)
    LASTFM_MAX_RETRIES: int = Field(default=3, ge=0)  # for error 29 / 11 / 16, timeouts and 5xx
    LASTFM_BACKOFF: float = Field(default=2.0, ge=0)  # first retry delay in seconds, doubled each time
    LASTFM_SIMILAR_LIMIT: int = Field(default=20, ge=0)  # similar artists per watched artist (0: none)
    # Discover (jobs/discover.py): market segments, micro-genres, similar tracks.
    DISCOVER_HOPS: int = Field(default=2, ge=1, le=5)  # segment depth: similar artists of similar artists
    DISCOVER_PER_HOP: int = Field(default=20, ge=1)  # similar artists taken from each artist at each hop
    DISCOVER_SEEDS: int = Field(default=30, ge=0)  # most popular artists whose segment is precomputed (+ watched)
    DISCOVER_K_MIN: int = Field(default=4, ge=2)  # micro-genre count range searched by silhouette
    DISCOVER_K_MAX: int = Field(default=12, ge=2)
    DISCOVER_NEIGHBOURS: int = Field(default=10, ge=1)  # similar tracks kept per track

    # --- operations: scheduled retraining, alert delivery (jobs/deliver.py, run by the worker) ---
    RETRAIN_CRON: str = "0 3 * * sun"  # crontab (UTC) of the scheduled retraining; empty: never (weekly by default)
    DELIVERY_POLL_SECONDS: int = Field(default=60, ge=1)  # how often the worker sends new alerts
    DELIVERY_MAX_ATTEMPTS: int = Field(default=5, ge=1)  # sends tried per alert and channel before giving up
    DELIVERY_BACKOFF_SECONDS: float = Field(default=60.0, ge=0)  # first retry delay, doubled each time
    DELIVERY_TIMEOUT: float = Field(default=10.0, gt=0)  # seconds per SMTP or webhook call
    SMTP_HOST: str | None = None  # unset: no email
    SMTP_PORT: int = Field(default=587, ge=1, le=65535)
    SMTP_TLS: Literal["starttls", "ssl", "none"] = "starttls"
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None  # never logged
    SMTP_FROM: str = "hitscope@localhost"
    SMTP_TO: str = ""  # comma-separated recipients
    WEBHOOK_URL: str | None = None  # Slack-compatible incoming webhook (JSON {"text": ...}); unset: no webhook

    @field_validator("DATABASE_URL")
    @classmethod
    def _psycopg_driver(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None

    @field_validator("DASK_SCHEDULER")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        if value and "://" not in value:
            raise ValueError("must be a Dask scheduler address such as tcp://host:8786 (or unset: in-process)")
        return value or None

    @field_validator("ARTWORK_HOSTS")
    @classmethod
    def _host_names(cls, value: str) -> str:
        artwork_hosts(value)  # raises on anything but host names: they go into the CSP verbatim
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        """Production refuses a guessable SECRET_KEY (a forged admin cookie follows) and the embedded database."""
        if self.APP_ENV != "production":
            return self
        reason = weak_key_reason(self.SECRET_KEY)
        if reason:
            raise ValueError(reason)
        if not self.DATABASE_URL:
            raise ValueError(NO_DATABASE)
        return self


class SettingsError(ValueError):
    """The environment's settings are invalid; the message says which and why, and never shows their values."""


@functools.cache
def get_settings() -> Settings:
    """The settings of this process, read once (tests clear the cache after changing the environment).

    Raises `SettingsError` without pydantic's echo of the input (which would print secrets to the log).
    """
    try:
        return Settings()
    except ValidationError as error:
        reasons = [
            f"{'.'.join(str(part) for part in problem['loc']) or 'settings'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
        raise SettingsError("invalid settings: " + "; ".join(reasons)) from None
