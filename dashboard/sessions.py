"""Server-side sessions: the signed cookie names a `web_sessions` row, checked on every signed-in request.

- Sign-in (`start`) makes a random session id; the cookie carries it, the table keeps only its sha256.
- Every request outside the open paths (`dashboard.login.guard`) calls `is_live`: the row must exist, be
  unrevoked, used within `SESSION_HOURS` (idle lifetime) and created within `SESSION_MAX_HOURS` (absolute
  lifetime, however busy the session). Otherwise the cookie is cleared and the user signs in again.
- `/logout` revokes the row (a copy of the cookie saved before is refused afterwards); an admin's
  "Sign out everywhere" on the Admin page (`end_everywhere`) revokes every session of every user.

A cookie from before this table existed has no id and simply asks for a new sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from flask import session
from sqlalchemy import Connection

from core.settings import get_settings
from dashboard import auth_queries
from dashboard.db import writing

logger = logging.getLogger(__name__)

SESSION_ID = "sid"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(*, conn: Connection, username: str, remote_addr: str) -> None:
    """Begin a new session for `username` (inside the sign-in transaction); replaces the cookie's contents."""
    session_id = secrets.token_urlsafe(32)
    auth_queries.create_session(conn=conn, session_hash=_hash(session_id), username=username, remote_addr=remote_addr)
    session.clear()
    session.permanent = True
    session["user"] = username
    session[SESSION_ID] = session_id
    session["csrf"] = secrets.token_urlsafe(24)


def is_live() -> bool:
    """Whether this request's cookie names a live session of the user it claims (DataUnavailable if the
    database does not answer: the caller answers 503, it does not let the request through)."""
    session_id, name = session.get(SESSION_ID), session.get("user")
    if not isinstance(session_id, str) or not isinstance(name, str) or not session_id or not name:
        return False
    settings = get_settings()
    with writing() as conn:
        owner = auth_queries.live_session_user(
            conn=conn,
            session_hash=_hash(session_id),
            idle_hours=settings.SESSION_HOURS,
            max_hours=settings.SESSION_MAX_HOURS,
        )
    return owner == name


def end(*, by: str) -> None:
    """Revoke this request's session (sign-out) and clear the cookie's contents."""
    session_id = session.get(SESSION_ID)
    session.clear()
    if isinstance(session_id, str) and session_id:
        with writing() as conn:
            auth_queries.revoke_session(conn=conn, session_hash=_hash(session_id), by=by)


def end_everywhere(*, by: str) -> int:
    """Revoke every live session of every user (the admin's own included); returns how many were live."""
    with writing() as conn:
        count = auth_queries.revoke_all_sessions(conn=conn, by=by)
    logger.warning("%s signed out every session (%d live)", by, count)
    return count
