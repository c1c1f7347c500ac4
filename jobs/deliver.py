"""Alert delivery: new alerts and watchlist events go out by email (SMTP) and webhook (Slack-compatible JSON).

    python -m jobs worker      # runs `deliver` every DELIVERY_POLL_SECONDS when a channel is configured

Each round records what the newest publication holds as one row per event and channel in `alert_deliveries`
(`ON CONFLICT DO NOTHING` on the key), then sends every pending row that is due. The key is what makes an alert
go out once: `alert:<artist id>:<since>` (the day the spike started; the snapshot day when alerts carry no
`since`) and `hit:<track id>` (a watched track that is a hit). A failed send is retried after
DELIVERY_BACKOFF_SECONDS, doubled each time, up to DELIVERY_MAX_ATTEMPTS, and each attempt is recorded (attempts,
status, last error, sent_at), which the Admin page shows. A row is locked while it is sent, so two workers
never send it twice; a worker killed between a send and its commit sends that one again (at least once).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import requests
from sqlalchemy import Engine

from core.settings import Settings
from jobs import delivery_store as store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryConfig:
    """Where alerts go and how hard to try, taken from settings at the entry point."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "hitscope@localhost"
    smtp_to: tuple[str, ...] = ()
    webhook_url: str | None = field(default=None, repr=False)
    max_attempts: int = 5
    backoff_seconds: float = 60.0
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            smtp_host=settings.SMTP_HOST, smtp_port=settings.SMTP_PORT, smtp_tls=settings.SMTP_TLS,
            smtp_user=settings.SMTP_USER, smtp_password=settings.SMTP_PASSWORD, smtp_from=settings.SMTP_FROM,
            smtp_to=tuple(a.strip() for a in settings.SMTP_TO.split(",") if a.strip()),
            webhook_url=settings.WEBHOOK_URL, max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
            backoff_seconds=settings.DELIVERY_BACKOFF_SECONDS, timeout=settings.DELIVERY_TIMEOUT,
        )  # fmt: skip

    @property
    def channels(self) -> list[str]:
        found = []
        if self.smtp_host and self.smtp_to:
            found.append("email")
        if self.webhook_url:
            found.append("webhook")
        return found


@dataclass
class DeliveryRound:
    recorded: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def alert_events(rows: list[dict[str, Any]], watchers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, subject, body) for each artist's spike, however many metric rows it has."""
    by_artist: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_artist.setdefault(str(row["artist_id"]), []).append(row)
    events = []
    for artist_id, spikes in sorted(by_artist.items()):
        since = min(str(row.get("since") or row.get("observed_on")) for row in spikes)
        metrics = sorted({str(m) for row in spikes for m in _as_list(row.get("metrics") or row.get("metric"))})
        name, genre = spikes[0].get("name") or artist_id, spikes[0].get("genre") or "unknown genre"
        subject = f"Hitscope alert: {name} is spiking"
        body = f"{name} ({genre}): {', '.join(metrics)} far above the artist's own trend, since {since}."
        if artist_id in watchers:
            body += f" On the watchlist of {watchers[artist_id]}."
        events.append((f"alert:{artist_id}:{since}", subject, body))
    return events


def hit_events(hits: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(key, subject, body) for each watched track that is a hit now."""
    events = []
    for hit in hits:
        popularity = "" if hit["popularity"] is None else f" (popularity {hit['popularity']:.0f})"
        subject = f"Hitscope watchlist: {hit['name']} is a hit"
        body = f"{hit['name']} by {hit['artist_name'] or 'unknown artist'} is a hit now{popularity}."
        body += f" On the watchlist of {hit['watchers']}."
        events.append((f"hit:{hit['track_id']}", subject, body))
    return events


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def record_events(engine: Engine, channels: list[str], *, now: datetime | None = None) -> int:
    """Record the newest publication's alerts and watchlist events for each channel; return how many are new."""
    with engine.begin() as conn:
        rows = store.newest_alert_rows(conn=conn)
        watchers = store.artist_watchers(conn=conn, artist_ids=sorted({str(r["artist_id"]) for r in rows}))
        events = alert_events(rows, watchers) + hit_events(store.newest_watched_hits(conn=conn))
        return store.record_new(
            conn=conn,
            rows=[
                {"key": key, "channel": channel, "subject": subject, "body": body}
                for key, subject, body in events
                for channel in channels
            ],
            now=now,
        )


Sender = Callable[[DeliveryConfig, store.Due], None]


def send_email(config: DeliveryConfig, due: store.Due) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = due.subject, config.smtp_from, ", ".join(config.smtp_to)
    message.set_content(due.body)
    smtp_class = smtplib.SMTP_SSL if config.smtp_tls == "ssl" else smtplib.SMTP
    with smtp_class(config.smtp_host or "", config.smtp_port, timeout=config.timeout) as client:
        if config.smtp_tls == "starttls":
            client.starttls()
        if config.smtp_user:
            client.login(config.smtp_user, config.smtp_password or "")
        client.send_message(message)


def send_webhook(config: DeliveryConfig, due: store.Due) -> None:
    response = requests.post(
        config.webhook_url or "", json={"text": f"*{due.subject}*\n{due.body}"}, timeout=config.timeout
    )
    if response.status_code >= 300:
        raise requests.HTTPError(f"webhook answered HTTP {response.status_code}: {response.text[:200]}")


SENDERS: dict[str, Sender] = {"email": send_email, "webhook": send_webhook}


def _error_text(config: DeliveryConfig, error: Exception) -> str:
    """The error in words, without the webhook URL (a Slack URL is itself a secret)."""
    message = f"{type(error).__name__}: {error}"
    if config.webhook_url:
        message = message.replace(config.webhook_url, "WEBHOOK_URL")
        path = config.webhook_url.split("://", 1)[-1].partition("/")[2]
        if path:
            message = message.replace("/" + path, "/***")
    return message


def send_due(engine: Engine, config: DeliveryConfig, *, now: datetime | None = None) -> DeliveryRound:
    """Attempt every pending delivery due by `now`, each in its own transaction (one row locked at a time)."""
    done = DeliveryRound()
    channels = config.channels
    while True:
        with engine.begin() as conn:
            due = store.claim_due(conn=conn, channels=channels, now=now)
            if due is None:
                return done
            try:
                SENDERS[due.channel](config, due)
            except (OSError, smtplib.SMTPException, requests.RequestException) as error:
                attempts = due.attempts + 1
                retry = config.backoff_seconds * 2 ** (attempts - 1) if attempts < config.max_attempts else None
                message = _error_text(config, error)
                store.mark_attempt_failed(conn=conn, due=due, error=message, retry_in_seconds=retry, now=now)
                logger.warning(
                    "delivery %s by %s failed (attempt %d of %d): %s", due.delivery_key, due.channel, attempts,
                    config.max_attempts, message,
                )  # fmt: skip
                if retry is None:
                    done.failed += 1
                else:  # due again after the backoff (with no backoff, right away: still bounded by the cap)
                    done.retrying += 1
            else:
                store.mark_sent(conn=conn, due=due, now=now)
                done.sent += 1


def deliver(engine: Engine, config: DeliveryConfig, *, now: datetime | None = None) -> DeliveryRound:
    """One delivery round (the worker's job): record new events, then send what is due."""
    channels = config.channels
    if not channels:
        return DeliveryRound()
    recorded = record_events(engine, channels, now=now)
    result = send_due(engine, config, now=now)
    result.recorded = recorded
    if recorded or result.sent or result.failed or result.retrying:
        logger.info(
            "delivery: %d new, %d sent, %d to retry, %d failed for good", recorded, result.sent,
            result.retrying, result.failed,
        )  # fmt: skip
    return result
