-- People and operations: each user's watchlist, the record of every alert delivery, and a running run's progress.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
-- What each dashboard user stars (artists and tracks), with their own notes and tags. Not the `watchlist` table,
-- which lists what the spotify and lastfm sources follow.
CREATE TABLE user_watchlist (
    username    text NOT NULL,
    entity_type text NOT NULL CHECK (entity_type IN ('artist', 'track')),
    entity_id   text NOT NULL CHECK (length(entity_id) BETWEEN 1 AND 200),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    tags        text[] NOT NULL DEFAULT '{}',
    added_at    timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (username, entity_type, entity_id)
);
CREATE INDEX user_watchlist_entity ON user_watchlist (entity_type, entity_id);

-- One row per alert (or watchlist event) and channel: the key makes every alert go out once per channel.
-- The worker (jobs/deliver.py) retries a failed send with backoff until `attempts` reaches its cap.
CREATE TABLE alert_deliveries (
    delivery_key    text NOT NULL,          -- 'alert:<artist_id>:<since>' or 'hit:<track_id>'
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook')),
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (delivery_key, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';

-- The stage a run is in and how far it got: {"stage", "done", "total", "unit", "updated_at"}.
ALTER TABLE job_runs ADD COLUMN progress jsonb;

-- migrate:down
ALTER TABLE job_runs DROP COLUMN progress;
DROP TABLE alert_deliveries;
DROP TABLE user_watchlist;
