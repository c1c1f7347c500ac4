-- The feature table (issue 12, "scoring at the speed of LightGBM"): the features stage of a refresh stores one
-- row per scored track as of the snapshot date (jobs/feature_table.py), and the score stage reads it back
-- straight into numpy (core/columnar.py copy_out_fixed) instead of rebuilding features from observations.
-- One set is kept: the newest, for one (snapshot date, hit metric, hit threshold); a rebuild replaces it in its
-- transaction. Internal to the jobs (the dashboard reads only publications), so a failed run changes nothing seen.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE TABLE feature_sets (
    feature_set_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_date  date NOT NULL,
    hit_metric     text NOT NULL,
    hit_threshold  double precision NOT NULL,
    columns        text[] NOT NULL,   -- the names of the floats in `track_features.features`, in order
    genres         text[] NOT NULL,   -- the categories `track_features.genre` indexes (-1: missing)
    run_id         bigint,
    built_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (snapshot_date, hit_metric, hit_threshold)
);

-- The numbers of a row: fixed width, so the score stage reads them with one binary COPY into numpy (the floats
-- as one bytea: PostgreSQL sends it as it is, where a float8[] costs a call per element both ways).
CREATE TABLE track_features (
    feature_set_id integer NOT NULL REFERENCES feature_sets (feature_set_id) ON DELETE CASCADE,
    row_number     integer NOT NULL,            -- the row's position in the features stage's frame
    is_hit         boolean NOT NULL,            -- a hit on the snapshot date
    genre          smallint NOT NULL,
    features       bytea NOT NULL,    -- the row's floats (feature_sets.columns), little-endian float64, NaN = missing
    PRIMARY KEY (feature_set_id, row_number)
);

-- The text of a row (what the published scores name it by).
CREATE TABLE track_feature_keys (
    feature_set_id integer NOT NULL REFERENCES feature_sets (feature_set_id) ON DELETE CASCADE,
    row_number     integer NOT NULL,
    track_id       text NOT NULL,
    artist_id      text,
    release_date   date,
    name           text NOT NULL,
    artist_name    text,
    PRIMARY KEY (feature_set_id, row_number)
);

-- migrate:down
DROP TABLE track_feature_keys;
DROP TABLE track_features;
DROP TABLE feature_sets;
