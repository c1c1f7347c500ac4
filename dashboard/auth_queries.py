"""The SQL of sign-in: login attempts (sql/versions/0004_dashboard.sql) and server-side sessions (0006).

Each function takes a keyword-only `conn` inside the caller's transaction (`dashboard.db.writing`).
`lock_sign_in` serialises the sign-ins of one user name and of one address across every gunicorn worker
(transaction-scoped advisory locks), so counting failures, checking the password and recording the attempt
is atomic: parallel wrong passwords cannot all pass a count taken before any of them was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from core.columnar import read_frame

USER_LOCK, ADDRESS_LOCK = 7_270_010, 7_270_011  # advisory lock classes (core/migrations.py uses 7_270_001)


@dataclass(frozen=True)
class Failures:
    pair: int  # this user name from this address
    user: int  # this user name from any address
    address: int  # any user name from this address


def lock_sign_in(*, conn: Connection, username: str, remote_addr: str) -> None:
    """Wait for other sign-ins of this user name, then of this address (always in that order: no deadlock)."""
    for cls, key in ((USER_LOCK, username), (ADDRESS_LOCK, remote_addr)):
        conn.execute(text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))"), {"cls": cls, "key": key})


def recent_failures(*, conn: Connection, username: str, remote_addr: str, minutes: int) -> Failures:
    row = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE username = :user AND remote_addr = :addr),"
            " count(*) FILTER (WHERE username = :user), count(*) FILTER (WHERE remote_addr = :addr)"
            " FROM login_attempts WHERE NOT succeeded"
            "   AND attempted_at > now() - make_interval(mins => :minutes)"
            "   AND (username = :user OR remote_addr = :addr)"
        ),
        {"user": username, "addr": remote_addr, "minutes": minutes},
    ).one()
    return Failures(pair=int(row[0]), user=int(row[1]), address=int(row[2]))


def record_login_attempt(*, conn: Connection, username: str, remote_addr: str, succeeded: bool) -> None:
    """Log a sign-in attempt and forget those older than a day."""
    conn.execute(
        text("INSERT INTO login_attempts (username, remote_addr, succeeded) VALUES (:user, :addr, :ok)"),
        {"user": username, "addr": remote_addr, "ok": succeeded},
    )
    conn.execute(text("DELETE FROM login_attempts WHERE attempted_at < now() - interval '1 day'"))


def locked_accounts(*, conn: Connection, minutes: int, ceiling: int) -> pd.DataFrame:
    """User names with at least `ceiling` failures within `minutes`, from any address (the Admin alert)."""
    return read_frame(
        conn,
        (
            "SELECT username, count(*) AS failures, count(DISTINCT remote_addr) AS addresses,"
            " max(attempted_at) AS last_failure FROM login_attempts"
            " WHERE NOT succeeded AND attempted_at > now() - make_interval(mins => :minutes)"
            " GROUP BY username HAVING count(*) >= :ceiling ORDER BY failures DESC, username LIMIT 50"
        ),
        {"minutes": minutes, "ceiling": ceiling},
    )


def create_session(*, conn: Connection, session_hash: str, username: str, remote_addr: str) -> None:
    conn.execute(
        text("INSERT INTO web_sessions (session_hash, username, remote_addr) VALUES (:h, :user, :addr)"),
        {"h": session_hash, "user": username, "addr": remote_addr},
    )
    conn.execute(text("DELETE FROM web_sessions WHERE last_seen_at < now() - interval '30 days'"))


def live_session_user(*, conn: Connection, session_hash: str, idle_hours: int, max_hours: int) -> str | None:
    """The user of a session that is not revoked, not idle too long and not too old; its use is noted
    (at most once a minute, so page loads do not each write)."""
    row = conn.execute(
        text(
            "SELECT username, last_seen_at < now() - interval '1 minute' FROM web_sessions"
            " WHERE session_hash = :h AND revoked_at IS NULL"
            "   AND created_at > now() - make_interval(hours => :max_hours)"
            "   AND last_seen_at > now() - make_interval(hours => :idle_hours)"
        ),
        {"h": session_hash, "idle_hours": idle_hours, "max_hours": max_hours},
    ).one_or_none()
    if row is None:
        return None
    if row[1]:
        conn.execute(text("UPDATE web_sessions SET last_seen_at = now() WHERE session_hash = :h"), {"h": session_hash})
    return str(row[0])


def revoke_session(*, conn: Connection, session_hash: str, by: str) -> None:
    conn.execute(
        text(
            "UPDATE web_sessions SET revoked_at = now(), revoked_by = :by"
            " WHERE session_hash = :h AND revoked_at IS NULL"
        ),
        {"h": session_hash, "by": by},
    )


def revoke_all_sessions(*, conn: Connection, by: str) -> int:
    """End every live session of every user; returns how many."""
    result = conn.execute(
        text("UPDATE web_sessions SET revoked_at = now(), revoked_by = :by WHERE revoked_at IS NULL"), {"by": by}
    )
    return int(result.rowcount or 0)


def live_session_count(*, conn: Connection, idle_hours: int, max_hours: int) -> int:
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM web_sessions WHERE revoked_at IS NULL"
                " AND created_at > now() - make_interval(hours => :max_hours)"
                " AND last_seen_at > now() - make_interval(hours => :idle_hours)"
            ),
            {"idle_hours": idle_hours, "max_hours": max_hours},
        ).scalar_one()
    )
