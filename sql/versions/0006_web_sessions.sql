-- Server-side sessions of the dashboard: the signed cookie only names a row here, so a session can be ended
-- on the server (sign-out, "sign out everywhere", the idle and absolute lifetimes) whatever cookie is replayed.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE TABLE web_sessions (
    session_hash text PRIMARY KEY,            -- sha256 of the random id the cookie carries (never the id itself)
    username     text NOT NULL,
    remote_addr  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoked_by   text
);
CREATE INDEX web_sessions_live ON web_sessions (username) WHERE revoked_at IS NULL;

-- Failed sign-ins are now limited per (user, address), with a per-user and a per-address ceiling.
CREATE INDEX login_attempts_user_addr ON login_attempts (username, remote_addr, attempted_at) WHERE NOT succeeded;

-- migrate:down
DROP INDEX login_attempts_user_addr;
DROP TABLE web_sessions;
