-- On-demand lookups (issue 14, "Score any track on demand"): the dashboard queues a request for a Spotify track
-- that is not tracked; the worker (jobs/lookup.py) fetches it, stores it, puts it on the requester's watchlist
-- and the source watchlist, scores it with the first-sight features and writes the answer here for the page.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE TABLE lookup_requests (
    request_id     bigserial PRIMARY KEY,
    username       text NOT NULL,
    spotify_id     text NOT NULL CHECK (spotify_id ~ '^[0-9A-Za-z]{22}$'),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'done', 'not_found', 'failed')),
    track_id       text,
    name           text,
    artist_name    text,
    probability    double precision CHECK (probability BETWEEN 0 AND 1),
    contributions  jsonb NOT NULL DEFAULT '{}',   -- {feature: push in calibrated log-odds, "bias": ...}
    feature_values jsonb NOT NULL DEFAULT '{}',   -- {feature: the value the model saw}
    model_version_id bigint,
    message        text,                          -- why there is no score (no model, not found, source error)
    requested_at   timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
CREATE INDEX lookup_requests_pending ON lookup_requests (request_id) WHERE status = 'pending';

-- migrate:down
DROP TABLE lookup_requests;
