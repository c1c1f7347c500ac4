-- One hit definition (core/hit_definition.py: metric, threshold, horizon_days) stored with each model version
-- (the one it was trained on) and each publication (the one its Seasonality and Discover tables were built
-- with: the scoring model's), so changing HIT_* settings after training cannot make them disagree.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
-- Written by jobs/model_store.save_version from the label it trains with; existing versions get theirs from
-- their label. NULL only for a row whose label lacks the definition (jobs/model_store reads the label then,
-- and refuses one without the definition).
ALTER TABLE model_versions ADD COLUMN hit_definition jsonb
    CHECK (hit_definition IS NULL OR hit_definition ?& ARRAY['metric', 'threshold', 'horizon_days']);
UPDATE model_versions
SET hit_definition = jsonb_build_object('metric', label -> 'metric', 'threshold', label -> 'threshold',
                                        'horizon_days', label -> 'horizon_days')
WHERE label ?& ARRAY['metric', 'threshold', 'horizon_days'];

-- A publication made before this migration has no recorded definition (NULL): it was built with the
-- settings of its day, which are not known any more.
ALTER TABLE publications ADD COLUMN hit_definition jsonb
    CHECK (hit_definition IS NULL OR hit_definition ?& ARRAY['metric', 'threshold', 'horizon_days']);

-- migrate:down
ALTER TABLE publications DROP COLUMN hit_definition;
ALTER TABLE model_versions DROP COLUMN hit_definition;
