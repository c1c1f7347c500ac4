-- One hit definition (core/hit_definition.py: metric, threshold, horizon_days) stored with each model version
-- (the one it was trained on) and each publication (the one its Seasonality and Discover tables were built
-- with: the scoring model's), so changing HIT_* settings after training cannot make them disagree.
-- Applied by core/migrations.py (python -m jobs migrate).
--
-- On model_versions it is generated from the label the version was trained with (jobs/train.py stores
-- LabelSpec.describe(), whose hit keys are the definition), so the two can never differ, whoever inserts
-- the row. NULL when a label does not hold the whole definition: such a version cannot be scored.

-- migrate:up
ALTER TABLE model_versions ADD COLUMN hit_definition jsonb GENERATED ALWAYS AS (
    CASE WHEN label ?& ARRAY['metric', 'threshold', 'horizon_days']
         THEN jsonb_build_object('metric', label -> 'metric', 'threshold', label -> 'threshold',
                                 'horizon_days', label -> 'horizon_days')
    END
) STORED;

-- A publication made before this migration has no recorded definition (NULL): it was built with the
-- settings of its day, which are not known any more.
ALTER TABLE publications ADD COLUMN hit_definition jsonb
    CHECK (hit_definition IS NULL OR hit_definition ?& ARRAY['metric', 'threshold', 'horizon_days']);

-- migrate:down
ALTER TABLE publications DROP COLUMN hit_definition;
ALTER TABLE model_versions DROP COLUMN hit_definition;
