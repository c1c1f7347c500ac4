"""Helpers for the operations tests: publish alert rows directly, and local receivers for alert delivery.

with smtp_receiver() as inbox: ...        # aiosmtpd on a free port; inbox.messages are the emails received
with webhook_receiver(fail_first=2) as hook: ...   # stdlib http.server; 500 for the first N posts, then 200
publish_alerts(engine, day, [("demo:a1", "Ana", "pop", "spotify_followers", 4.2)])   # with its (empty) partitions
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, text

from jobs.publication_partitions import ensure_partitions
from tests.servers import free_port

Alert = tuple[str, str, str, str, float]  # artist_id, name, genre, metric, zscore


def publish_alerts(engine: Engine, day: date, alerts: list[Alert]) -> int:
    """A succeeded run and a publication for `day` holding exactly `alerts` (artists created as needed)."""
    with engine.begin() as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO job_runs (kind, trigger, source, snapshot_date, status, finished_at)"
                " VALUES ('refresh', 'cli', 'demo', :day, 'succeeded', now()) RETURNING run_id"
            ),
            {"day": day},
        ).scalar_one()
        publication_id = conn.execute(
            text(
                "INSERT INTO publications (run_id, snapshot_date, source, is_demo)"
                " VALUES (:run, :day, 'demo', true) RETURNING publication_id"
            ),
            {"run": run_id, "day": day},
        ).scalar_one()
        ensure_partitions(conn=conn, publication_id=publication_id)  # tests may add its track scores
        for artist_id, name, genre, metric, zscore in alerts:
            conn.execute(
                text(
                    "INSERT INTO agg_alerts (publication_id, artist_id, name, genre, metric, observed_on, value,"
                    " expected, zscore) VALUES (:pid, :artist, :name, :genre, :metric, :day, 100, 10, :z)"
                ),
                {"pid": publication_id, "artist": artist_id, "name": name, "genre": genre, "metric": metric,
                 "day": day, "z": zscore},
            )  # fmt: skip
    return int(publication_id)


@dataclass
class Inbox:
    port: int
    messages: list[Message] = field(default_factory=list)


@contextmanager
def smtp_receiver() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; every message it accepts lands in `inbox.messages`."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
            inbox.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Hook:
    url: str
    fail_first: int
    posts: list[dict[str, Any]] = field(default_factory=list)  # every JSON body received, failed or not


@contextmanager
def webhook_receiver(fail_first: int = 0, path: str = "/hooks/T000/B000/secret-token") -> Iterator[Hook]:
    """An HTTP receiver on a free port: answers 500 to the first `fail_first` posts, 200 afterwards."""
    port = free_port()
    hook = Hook(f"http://127.0.0.1:{port}{path}", fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.posts.append(json.loads(body))
            failing = len(hook.posts) <= hook.fail_first
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"boom" if failing else b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
