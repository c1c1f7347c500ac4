-- What the scout's pages need beyond 0002: the feature values behind each score (reasons in words with values),
-- one alert row per artist and spike (the change against the usual daily change, and since when), and the
-- releases younger than the hit horizon that seasonality leaves out as "still open".

-- migrate:up
ALTER TABLE agg_track_scores ADD COLUMN feature_values jsonb NOT NULL DEFAULT '{}';
ALTER TABLE agg_alerts ADD COLUMN change double precision;         -- the metric's change on the day
ALTER TABLE agg_alerts ADD COLUMN usual_change double precision;   -- its mean daily change over the 4 weeks before
ALTER TABLE agg_alerts ADD COLUMN since date;                      -- first day of the run of unusual days
ALTER TABLE agg_seasonality_excluded ADD COLUMN n_open integer NOT NULL DEFAULT 0;  -- younger than the horizon

-- migrate:down
ALTER TABLE agg_seasonality_excluded DROP COLUMN n_open;
ALTER TABLE agg_alerts DROP COLUMN since;
ALTER TABLE agg_alerts DROP COLUMN usual_change;
ALTER TABLE agg_alerts DROP COLUMN change;
ALTER TABLE agg_track_scores DROP COLUMN feature_values;
