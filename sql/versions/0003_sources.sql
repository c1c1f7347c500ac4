-- The real sources' own state: what to watch, where a stopped run resumes, and how each source is doing.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
-- Artists and tracks the spotify and lastfm sources follow (python -m jobs watch add <Spotify URL/URI/ID>).
CREATE TABLE watchlist (
    entity_type text NOT NULL CHECK (entity_type IN ('artist', 'track')),
    spotify_id  text NOT NULL CHECK (spotify_id ~ '^[0-9A-Za-z]{22}$'),
    name        text,                       -- optional label; the catalogue name is used when known
    added_by    text,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, spotify_id)
);

-- Where a source's last run stopped (QUOTA_EXCEEDED, a long Retry-After, a 403): the next run resumes there.
CREATE TABLE source_checkpoints (
    source        text PRIMARY KEY,
    snapshot_date date NOT NULL,
    status        text NOT NULL CHECK (status IN ('stopped', 'done')),
    next_id       text,                     -- the first item not done yet, when stopped
    done_ids      jsonb NOT NULL DEFAULT '[]',  -- items done for snapshot_date (skipped when it is re-run)
    reason        text,
    run_id        bigint REFERENCES job_runs (run_id) ON DELETE SET NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The latest health of each source, for the Admin page: ok / degraded / failing, the Spotify app mode,
-- and the metrics the source could not provide.
CREATE TABLE source_health (
    source              text PRIMARY KEY,
    status              text NOT NULL CHECK (status IN ('ok', 'degraded', 'failing')),
    mode                text,               -- spotify: 'development' or 'extended'
    message             text,
    unavailable_metrics jsonb NOT NULL DEFAULT '[]',
    run_id              bigint REFERENCES job_runs (run_id) ON DELETE SET NULL,
    checked_at          timestamptz NOT NULL DEFAULT now()
);

-- Similar artists from Last.fm for each watched artist (the market segment), one list per day.
CREATE TABLE similar_artists (
    artist_id    text NOT NULL,             -- the watched artist (Spotify id)
    similar_name text NOT NULL,
    mbid         text,
    match        real,                      -- Last.fm's similarity, 0..1
    observed_on  date NOT NULL,
    source       text NOT NULL DEFAULT 'lastfm',
    PRIMARY KEY (artist_id, similar_name, observed_on)
);

-- migrate:down
DROP TABLE similar_artists;
DROP TABLE source_health;
DROP TABLE source_checkpoints;
DROP TABLE watchlist;
