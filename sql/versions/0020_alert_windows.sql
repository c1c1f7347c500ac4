-- Incremental alerts (issue 12: "Alerts rescan 30 days of text rows every run"). Per artist and alert metric,
-- `alert_windows` keeps what the spike test needs from the 30-day window ending at `alert_window_day.day`:
-- the newest value, the day's change (pending: it joins the usual changes the next day) and exact sums of
-- the usual daily changes (numeric, so adding a day and taking one away never drifts). A daily run advances
-- it by reading the new day (and the two days leaving the window) instead of 30 days (jobs/alerts.py).
-- Written in the publication's transaction, so it always matches the newest publication.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE TABLE alert_windows (
    entity          integer NOT NULL,   -- observation_entities.entity of an artist
    metric          smallint NOT NULL,  -- observation_metrics.metric
    last_on         date NOT NULL,      -- the newest day observed in the window
    last_value      double precision NOT NULL,
    pending_change  double precision,   -- the change on `last_on` from the day before it in the window
    pending_prev_on date,               -- that day before it
    n_changes       integer NOT NULL,   -- the usual changes: days before the window's day with one
    sum_change      numeric NOT NULL,
    sum_square      numeric NOT NULL,
    PRIMARY KEY (entity, metric)
);
CREATE TABLE alert_window_day (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    day      date NOT NULL              -- the last day of the window `alert_windows` holds
);

-- migrate:down
DROP TABLE alert_window_day;
DROP TABLE alert_windows;
