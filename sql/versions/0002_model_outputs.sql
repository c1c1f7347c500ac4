-- What the model side writes and the dashboard reads: model versions and the scored, published tables.
-- (The contract between jobs/model and dashboard; filled by the scoring stage of each refresh run.)

-- migrate:up
CREATE TABLE model_versions (
    model_version_id   bigserial PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    run_id             bigint REFERENCES job_runs (run_id),
    is_active          boolean NOT NULL DEFAULT false,
    label              jsonb NOT NULL DEFAULT '{}',    -- {"metric", "threshold", "horizon_days", "mode"}
    params             jsonb NOT NULL DEFAULT '{}',    -- LightGBM parameters of the best trial
    metrics            jsonb NOT NULL DEFAULT '{}',    -- {"forward": {...}, "folds": [...], "random_split": {...},
                                                       --  "baselines": {name: {...}}, "calibration": [...]}
    data_window        jsonb NOT NULL DEFAULT '{}',    -- {"train_from", "train_to", "test_from", "test_to", "n_train", "n_test"}
    feature_names      jsonb NOT NULL DEFAULT '[]',
    feature_importance jsonb NOT NULL DEFAULT '[]',    -- [{"feature", "gain", "mean_abs_contribution"}]
    promoted           boolean NOT NULL DEFAULT false, -- did it beat the active model on the same holdout
    promotion_note     text,
    model_text         text                            -- LightGBM model_to_string(), to score with
);
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (is_active) WHERE is_active;

-- Every scored track of a publication: probability, what drove it, and the context the pages show.
CREATE TABLE agg_track_scores (
    publication_id     bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    track_id           text NOT NULL,
    name               text NOT NULL,
    artist_id          text,
    artist_name        text,
    genre              text NOT NULL,
    release_date       date,
    days_since_release integer,
    popularity         double precision,    -- the hit metric today
    momentum_7d        double precision,    -- its change over 7 days
    is_hit             boolean NOT NULL,    -- already above the hit threshold
    probability        double precision NOT NULL,
    expected_gap       double precision,    -- probability-implied expectation minus reality (underperformers > 0)
    contributions      jsonb NOT NULL DEFAULT '{}',   -- {feature: contribution in log-odds}, from pred_contrib
    model_version_id   bigint REFERENCES model_versions (model_version_id),
    PRIMARY KEY (publication_id, track_id)
);
CREATE INDEX agg_track_scores_emerging ON agg_track_scores (publication_id, genre, probability DESC) WHERE NOT is_hit;
CREATE INDEX agg_track_scores_artist ON agg_track_scores (publication_id, artist_id);

CREATE TABLE agg_feature_importance (
    publication_id        bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    feature               text NOT NULL,
    gain                  double precision NOT NULL,
    mean_abs_contribution double precision NOT NULL,
    PRIMARY KEY (publication_id, feature)
);

-- Spikes against an artist's own trend (a metric far above what its recent history predicts).
CREATE TABLE agg_alerts (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    artist_id      text NOT NULL,
    name           text NOT NULL,
    genre          text NOT NULL,
    metric         text NOT NULL,
    observed_on    date NOT NULL,
    value          double precision NOT NULL,
    expected       double precision NOT NULL,
    zscore         double precision NOT NULL,
    PRIMARY KEY (publication_id, artist_id, metric)
);

-- migrate:down
DROP TABLE agg_alerts;
DROP TABLE agg_feature_importance;
DROP TABLE agg_track_scores;
DROP TABLE model_versions;
