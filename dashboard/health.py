"""`/healthz` for the load balancer: is the database reachable, and how old is the last publication.

200 with JSON when the database answers (even with no publication yet: the web tier is healthy),
503 when it does not.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify

from dashboard import queries
from dashboard.db import reading, when_unavailable

logger = logging.getLogger(__name__)


@when_unavailable(lambda: (jsonify({"status": "unavailable", "database": False}), 503))
def healthz() -> tuple[Response, int]:
    with reading() as conn:
        status = queries.health(conn=conn)
    age = None
    if status.last_published_at is not None:
        age = round((status.now - status.last_published_at).total_seconds(), 1)
    return jsonify({"status": "ok", "database": True, "last_publication_age_seconds": age}), 200


def register_health(server: Flask) -> None:
    server.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
