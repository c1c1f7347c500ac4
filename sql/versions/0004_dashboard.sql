-- The dashboard's own table: sign-in attempts, so wrong passwords are rate-limited across gunicorn workers.
-- Rows older than a day are deleted by the sign-in code as it records new ones.

-- migrate:up
CREATE TABLE login_attempts (
    attempt_id   bigserial PRIMARY KEY,
    username     text NOT NULL,
    remote_addr  text NOT NULL,
    succeeded    boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_user ON login_attempts (username, attempted_at) WHERE NOT succeeded;
CREATE INDEX login_attempts_addr ON login_attempts (remote_addr, attempted_at) WHERE NOT succeeded;

-- migrate:down
DROP TABLE login_attempts;
