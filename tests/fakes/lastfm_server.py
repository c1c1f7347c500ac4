"""A fake Last.fm API (`/2.0/?method=...&format=json`) on 127.0.0.1 (random port), in the real shapes.

Bodies come from `tests/fixtures/lastfm/`. Unknown artists get error 6 with HTTP 404 (artist.getInfo) or
HTTP 200 (artist.getSimilar), unknown tracks a 200 stub, as the real API does. Scripted faults:
`server.fail("artist.getInfo", "29")` (kinds: 29 with HTTP 200, 29-429, 26, 11, 16, 500, timeout, malformed).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lastfm"
API_KEY = "fake-lastfm-key-do-not-log"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Fault:
    method: str
    kind: str
    times: int


class FakeLastfm:
    def __init__(self, artists: dict[str, tuple[int, int]], tracks: dict[tuple[str, str], tuple[int, int]]) -> None:
        """`artists`: name -> (listeners, playcount); `tracks`: (artist, track) -> (listeners, playcount)."""
        self.artists, self.tracks = artists, tracks
        self.requests: list[dict[str, str]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/2.0/"

    def fail(self, method: str, kind: str, *, times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(method, kind, times))

    def __enter__(self) -> FakeLastfm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method:
                    fault.times -= 1
                    return fault
        return None

    def _route(self, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("api_key") != API_KEY:
            return 403, {
                "error": 10,
                "message": "Invalid API key - You must be granted a valid key by last.fm",
            }
        method, artist = query.get("method"), query.get("artist", "")
        if method == "artist.getInfo":
            if artist not in self.artists:
                return 404, fixture("artist.getInfo.error6-404.json")
            body = fixture("artist.getInfo.json")
            listeners, playcount = self.artists[artist]
            body["artist"].update(name=artist, stats={"listeners": str(listeners), "playcount": str(playcount)})
            return 200, body
        if method == "artist.getSimilar":
            if artist not in self.artists:
                return 200, fixture("artist.getSimilar.error6-200.json")
            body = fixture("artist.getSimilar.json")
            body["similarartists"]["@attr"]["artist"] = artist
            limit = int(query.get("limit", "100"))
            body["similarartists"]["artist"] = body["similarartists"]["artist"][:limit]
            return 200, body
        if method == "track.getInfo":
            key = (artist, query.get("track", ""))
            if key not in self.tracks:
                stub = fixture("track.getInfo.unknown-track-200.json")
                stub["track"].update(name=key[1], artist={"name": artist, "url": ""})
                return 200, stub
            body = copy.deepcopy(fixture("track.getInfo.json"))
            listeners, playcount = self.tracks[key]
            body["track"].update(name=key[1], listeners=str(listeners), playcount=str(playcount))
            return 200, body
        return 400, {"error": 3, "message": "Invalid Method - No method with that name in this package"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                fake.requests.append(query)
                fault = fake._take_fault(query.get("method", ""))
                if fault is not None:
                    if fault.kind == "timeout":
                        time.sleep(1.0)
                    else:
                        self._fault(fault.kind)
                        return
                status, body = fake._route(query)
                self._send(status, json.dumps(body).encode())

            def _fault(self, kind: str) -> None:
                answers = {
                    "29": (200, fixture("error-29-rate-limit.json")),
                    "29-429": (429, fixture("error-29-rate-limit.json")),
                    "26": (403, fixture("error-26-suspended-key.json")),
                    "11": (200, fixture("error-11-service-offline.json")),
                    "16": (200, fixture("error-16-temporary-error.json")),
                }
                if kind == "500":
                    self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
                elif kind == "malformed":
                    self._send(200, b'{"artist": {"name": "Cher", "stats": {"listen')
                else:
                    status, body = answers[kind]
                    self._send(status, json.dumps(body).encode())

            def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
