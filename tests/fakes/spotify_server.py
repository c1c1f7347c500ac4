"""A fake Spotify Web API + token endpoint on 127.0.0.1 (random port), answering in the real shapes.

Responses are built from `tests/fixtures/spotify/` (real recorded bodies). `mode="development"` strips the
fields a development-mode app no longer gets (February 2026) and answers batch endpoints with 403.
Faults are scripted: `server.fail(r"/v1/artists/", "429", retry_after=2)` makes the next matching request
fail once (kinds: 429, quota, 403, 500, timeout, malformed). Every request is recorded in `requests`.
Artists and albums carry the recorded `images` ([{url, height, width}], 640/300/64 px on i.scdn.co); a full
track's album shares its album's list, so a test edits an album's artwork in place (`album["images"][:] = ...`).

    with FakeSpotify(artists={"2CWWgbxApjbyByxBBCvGTm": "Katatonia"}) as server:
        config = SpotifyConfig(CLIENT_ID, CLIENT_SECRET, api_url=server.api_url, token_url=server.token_url)
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "spotify"
CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret-do-not-log"
DEV_REMOVED = {
    "artist": ("followers", "popularity"),
    "track": ("popularity", "available_markets", "linked_from"),
    "album": ("popularity", "label", "available_markets", "album_group"),
}
CO_ARTIST = {"id": "19HFRWmRCl27kTk6LeqAO8", "name": "MORTEN"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fake_id(*parts: object) -> str:
    """A deterministic 22-character id (hex digits are valid Spotify id characters)."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:22]


@dataclass
class Fault:
    pattern: re.Pattern[str]
    kind: str
    times: int
    retry_after: float | None = None


class FakeSpotify:
    def __init__(
        self,
        artists: dict[str, str],
        *,
        mode: str = "extended",
        albums_per_artist: int = 12,
        timeout_delay: float = 1.0,
    ) -> None:
        self.mode, self.timeout_delay = mode, timeout_delay
        self.token = fixture("token.json")["access_token"]
        self.requests: list[str] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.artists: dict[str, dict[str, Any]] = {}
        self.albums: dict[str, list[dict[str, Any]]] = {}
        self.album_tracks: dict[str, list[dict[str, Any]]] = {}
        self.tracks: dict[str, dict[str, Any]] = {}
        for index, (artist_id, name) in enumerate(artists.items()):
            self._add_artist(index, artist_id, name, albums_per_artist)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- catalogue, from the fixtures ---

    def _add_artist(self, index: int, artist_id: str, name: str, n_albums: int) -> None:
        artist = fixture("artist.json")
        artist.update(id=artist_id, name=name, uri=f"spotify:artist:{artist_id}", popularity=57 - index)
        artist["followers"]["total"] = 327_891 + index
        artist["href"] = f"https://api.spotify.com/v1/artists/{artist_id}"
        self.artists[artist_id] = artist
        credit = {"id": artist_id, "name": name, "type": "artist", "uri": f"spotify:artist:{artist_id}"}
        template = fixture("artist-albums.json")["items"][0]
        track_template = fixture("album-tracks.json")["items"]
        self.albums[artist_id] = []
        for number in range(n_albums):
            album = copy.deepcopy(template)
            album_id = fake_id("album", artist_id, number)
            year_only = number % 5 == 4
            album.update(
                id=album_id, name=f"{name} album {number}",
                release_date="2015" if year_only else "2019-08-23",
                release_date_precision="year" if year_only else "day", artists=[credit],
            )  # fmt: skip
            self.albums[artist_id].append(album)
            self.album_tracks[album_id] = []
            for position, base in enumerate(track_template):
                track = copy.deepcopy(base)
                track_id = fake_id("track", album_id, position)
                credits = [credit, CO_ARTIST] if number == 0 and position == 0 else [credit]
                track.update(id=track_id, name=f"{name} song {number}.{position}", artists=credits)
                self.album_tracks[album_id].append(track)
                full = fixture("track.json")
                full.update(id=track_id, name=track["name"], artists=credits, popularity=40 + position)
                full["external_ids"] = {"isrc": f"QZ{track_id[:10].upper()}"}
                full["album"].update(id=album_id, name=album["name"], release_date=album["release_date"],
                                     release_date_precision=album["release_date_precision"],
                                     images=album["images"])  # fmt: skip
                self.tracks[track_id] = full

    def _shape(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        if self.mode == "development":
            for key in DEV_REMOVED[kind]:
                body.pop(key, None)
            if kind == "track":
                for key in DEV_REMOVED["album"]:
                    body.get("album", {}).pop(key, None)
        return body

    # --- control ---

    def fail(self, pattern: str, kind: str, *, times: int = 1, retry_after: float | None = None) -> None:
        with self.lock:
            self.faults.append(Fault(re.compile(pattern), kind, times, retry_after))

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.base}/api/token"

    def paths(self, pattern: str) -> list[str]:
        return [r for r in self.requests if re.search(pattern, r)]

    def __enter__(self) -> FakeSpotify:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- HTTP ---

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict]:
        if method == "POST" and path == "/api/token":
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if headers.get("Authorization") != f"Basic {expected}":
                return 400, fixture("token-error-invalid-client.json"), {}
            return 200, fixture("token.json"), {}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": {"status": 401, "message": "No token provided"}}, {}
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        if parts in (["artists"], ["tracks"], ["albums"]):
            if self.mode == "development":
                return 403, fixture("error-403-forbidden.json"), {}
            ids = query.get("ids", [""])[0].split(",")
            kind = parts[0]
            store = self.artists if kind == "artists" else self.tracks
            return 200, {kind: [self._shape(kind[:-1], store[i]) if i in store else None for i in ids]}, {}
        if len(parts) == 2 and parts[0] == "artists" and parts[1] in self.artists:
            return 200, self._shape("artist", self.artists[parts[1]]), {}
        if len(parts) == 2 and parts[0] == "tracks" and parts[1] in self.tracks:
            return 200, self._shape("track", self.tracks[parts[1]]), {}
        if len(parts) == 3 and parts[0] == "artists" and parts[2] == "albums" and parts[1] in self.albums:
            return self._page(path, query, [self._shape("album", a) for a in self.albums[parts[1]]], max_limit=10)
        if len(parts) == 3 and parts[0] == "albums" and parts[2] == "tracks" and parts[1] in self.album_tracks:
            return self._page(path, query, [self._shape("track", t) for t in self.album_tracks[parts[1]]], 50)
        return 404, fixture("error-404-non-existing-id.json"), {}

    def _page(self, path: str, query: dict[str, list[str]], items: list[Any], max_limit: int) -> tuple[int, Any, dict]:
        limit = int(query.get("limit", ["5" if max_limit == 10 else "20"])[0])
        offset = int(query.get("offset", ["0"])[0])
        if not 1 <= limit <= max_limit:
            return 400, {"error": {"status": 400, "message": "Invalid limit"}}, {}
        flat = {key: values[0] for key, values in query.items()}
        following = {**flat, "offset": offset + limit, "limit": limit}
        body = {
            "href": f"{self.base}{path}?{urlencode(flat)}", "items": items[offset : offset + limit],
            "limit": limit, "offset": offset, "previous": None, "total": len(items),
            "next": f"{self.base}{path}?{urlencode(following)}" if offset + limit < len(items) else None,
        }  # fmt: skip
        return 200, body, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                fake.requests.append(f"{method} {url.path}{'?' + url.query if url.query else ''}")
                fault = fake._take_fault(url.path)
                if fault is not None and self._fault(fault):
                    return
                status, body, headers = fake._route(method, url.path, parse_qs(url.query), self.headers)
                self._send(status, json.dumps(body).encode(), headers)

            def _fault(self, fault: Fault) -> bool:
                if fault.kind == "timeout":
                    time.sleep(fake.timeout_delay)
                    return False  # answer late: the client has given up
                retry = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                bodies = {
                    "429": (429, fixture("error-429-rate-limit.json"), retry),
                    "quota": (429, fixture("error-429-quota-exceeded.json"), retry),
                    "403": (403, fixture("error-403-forbidden.json"), {}),
                    "500": (500, {"error": {"status": 500, "message": "Server error"}}, {}),
                }
                if fault.kind == "malformed":
                    self._send(200, b'{"external_urls": {"spotify": "https://open.spotify', {})
                    return True
                status, body, headers = bodies[fault.kind]
                self._send(status, json.dumps(body).encode(), headers)
                return True

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._serve("POST")

        return Handler
