-- Contributions (TreeSHAP) are computed only for the tracks a page lists (the emerging lists, watchlisted
-- tracks, tracks above the reasons floor, capped): the other scored rows keep their probability, and their
-- contributions and feature values are NULL, which means "not computed", distinct from an empty object.

-- migrate:up
ALTER TABLE agg_track_scores ALTER COLUMN contributions DROP NOT NULL;
ALTER TABLE agg_track_scores ALTER COLUMN feature_values DROP NOT NULL;

-- migrate:down
UPDATE agg_track_scores SET contributions = '{}' WHERE contributions IS NULL;
UPDATE agg_track_scores SET feature_values = '{}' WHERE feature_values IS NULL;
ALTER TABLE agg_track_scores ALTER COLUMN feature_values SET NOT NULL;
ALTER TABLE agg_track_scores ALTER COLUMN contributions SET NOT NULL;
