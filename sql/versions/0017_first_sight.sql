-- The first-sight model (issue 14, "Score any track on demand"): trained in the same `jobs train` run as the
-- main model, on the features a track's first sight can know, and stored with its model version; its validated
-- metrics live in `metrics -> 'first_sight'` (core/model_report.py). A lookup records which model scored it.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
ALTER TABLE model_versions
    ADD COLUMN first_sight_text   text,    -- the LightGBM model string; NULL for a version trained without one
    ADD COLUMN first_sight_params jsonb;   -- {"features": [...], "calibration": {...}, ...}
ALTER TABLE lookup_requests
    ADD COLUMN scored_with text CHECK (scored_with IN ('first_sight', 'blanked'));

-- migrate:down
ALTER TABLE lookup_requests DROP COLUMN scored_with;
ALTER TABLE model_versions DROP COLUMN first_sight_params, DROP COLUMN first_sight_text;
