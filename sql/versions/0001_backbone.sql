-- The backbone: catalogue, append-only snapshots, the refresh queue and run log, and the published tables.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE TABLE genres (
    genre text PRIMARY KEY
);

CREATE TABLE artists (
    artist_id   text PRIMARY KEY,               -- '<source>:<id>' for demo/dataset, the Spotify id for spotify
    name        text NOT NULL,
    genre       text REFERENCES genres (genre),  -- primary genre, NULL when the source has none
    source      text NOT NULL,
    first_seen  date NOT NULL DEFAULT current_date,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artists_genre ON artists (genre);

CREATE TABLE artist_genres (
    artist_id text NOT NULL REFERENCES artists (artist_id) ON DELETE CASCADE,
    genre     text NOT NULL REFERENCES genres (genre),
    PRIMARY KEY (artist_id, genre)
);

CREATE TABLE tracks (
    track_id               text PRIMARY KEY,
    name                   text NOT NULL,
    album_name             text,
    release_date           date,
    release_date_precision text CHECK (release_date_precision IN ('day', 'month', 'year')),
    duration_ms            integer CHECK (duration_ms IS NULL OR duration_ms >= 0),
    explicit               boolean,
    isrc                   text,
    genre                  text REFERENCES genres (genre),
    source                 text NOT NULL,
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracks_release_date ON tracks (release_date);

CREATE TABLE track_artists (
    track_id  text NOT NULL REFERENCES tracks (track_id) ON DELETE CASCADE,
    artist_id text NOT NULL REFERENCES artists (artist_id) ON DELETE CASCADE,
    position  smallint NOT NULL DEFAULT 0,      -- 0 = main artist
    PRIMARY KEY (track_id, artist_id)
);
CREATE INDEX track_artists_artist ON track_artists (artist_id);

-- Spotify audio features, where a source has them (the API stopped serving them to new apps in 2024).
CREATE TABLE track_audio_features (
    track_id         text PRIMARY KEY REFERENCES tracks (track_id) ON DELETE CASCADE,
    danceability     real, energy real, key smallint, loudness real, mode smallint, speechiness real,
    acousticness     real, instrumentalness real, liveness real, valence real, tempo real,
    time_signature   smallint
);

-- Append-only metric observations: one value per entity, metric, day and source. A re-run inserts nothing.
CREATE TABLE raw_observations (
    entity_type text NOT NULL CHECK (entity_type IN ('artist', 'track')),
    entity_id   text NOT NULL,
    metric      text NOT NULL,
    observed_on date NOT NULL,
    source      text NOT NULL,
    value       double precision NOT NULL,
    run_id      bigint,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, entity_id, metric, observed_on, source)
);
CREATE INDEX raw_observations_day ON raw_observations (observed_on, entity_type, metric);

-- Every run of every kind: what triggered it, how it went, per-stage timings and row counts.
CREATE TABLE job_runs (
    run_id        bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('refresh', 'backfill', 'train', 'import')),
    trigger       text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    requested_by  text,
    source        text NOT NULL,
    snapshot_date date,
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    stages        jsonb NOT NULL DEFAULT '[]',
    row_counts    jsonb NOT NULL DEFAULT '{}',
    warnings      jsonb NOT NULL DEFAULT '[]',
    error         text,
    worker        text
);
CREATE INDEX job_runs_started ON job_runs (started_at DESC);
CREATE INDEX job_runs_running ON job_runs (status) WHERE status = 'running';

-- The queue: a manual refresh (or retrain) is a row; one pending row per kind and source, so two clicks make one run.
CREATE TABLE refresh_requests (
    request_id    bigserial PRIMARY KEY,
    kind          text NOT NULL DEFAULT 'refresh' CHECK (kind IN ('refresh', 'train')),
    trigger       text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    requested_by  text NOT NULL,
    source        text NOT NULL,
    snapshot_date date,
    dedupe_key    text UNIQUE,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at    timestamptz,
    finished_at   timestamptz,
    run_id        bigint REFERENCES job_runs (run_id)
);
CREATE UNIQUE INDEX refresh_requests_one_pending ON refresh_requests (kind, source) WHERE status = 'pending';

-- A publication is one run's complete set of dashboard tables. It becomes visible in the commit that writes
-- it, so a reader sees the previous publication or the new one, never a mix. Old ones are pruned.
CREATE TABLE publications (
    publication_id bigserial PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES job_runs (run_id),
    snapshot_date  date NOT NULL,
    source         text NOT NULL,
    is_demo        boolean NOT NULL,
    published_at   timestamptz NOT NULL DEFAULT now(),
    summary        jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE agg_artist_leaderboard (
    publication_id   bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    artist_id        text NOT NULL,
    name             text NOT NULL,
    genre            text NOT NULL,
    popularity       double precision,
    popularity_7d    double precision,   -- change in points over 7 days
    popularity_28d   double precision,
    followers        double precision,
    followers_7d_pct double precision,   -- growth in percent over 7 days
    followers_28d_pct double precision,
    listeners        double precision,
    listeners_7d_pct double precision,
    listeners_28d_pct double precision,
    n_tracks         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, artist_id)
);
CREATE INDEX agg_artist_leaderboard_genre ON agg_artist_leaderboard (publication_id, genre, popularity DESC NULLS LAST);

-- Release-month seasonality: tracks with a day- or month-precise release date only.
CREATE TABLE agg_seasonality (
    publication_id  bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    genre           text NOT NULL,
    release_year    smallint NOT NULL,
    release_month   smallint NOT NULL CHECK (release_month BETWEEN 1 AND 12),
    n_tracks        integer NOT NULL,
    n_hits          integer NOT NULL,
    mean_popularity double precision,
    PRIMARY KEY (publication_id, genre, release_year, release_month)
);

-- Tracks left out of seasonality because their release date is known to the year only.
CREATE TABLE agg_seasonality_excluded (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    genre          text NOT NULL,
    release_year   smallint NOT NULL,
    n_tracks       integer NOT NULL,
    PRIMARY KEY (publication_id, genre, release_year)
);

-- migrate:down
DROP TABLE agg_seasonality_excluded;
DROP TABLE agg_seasonality;
DROP TABLE agg_artist_leaderboard;
DROP TABLE publications;
DROP TABLE refresh_requests;
DROP TABLE job_runs;
DROP TABLE raw_observations;
DROP TABLE track_audio_features;
DROP TABLE track_artists;
DROP TABLE tracks;
DROP TABLE artist_genres;
DROP TABLE artists;
DROP TABLE genres;
