-- `agg_track_scores.expected_gap` goes. Since the score stage stopped writing it (it was the final model's
-- in-sample fit on its own training rows, not an expectation) every published row held NULL there, and no page
-- read it. Dropped on the partitioned table, so from every publication's partition. Applied by core/migrations.py.

-- migrate:up
ALTER TABLE agg_track_scores DROP COLUMN expected_gap;

-- migrate:down
ALTER TABLE agg_track_scores ADD COLUMN expected_gap double precision;
