-- source_health is dropped: sources stopped writing to the database (they return records; jobs/pipeline.py
-- stores them), and the Admin page's source health comes from job_runs and the publication's
-- unavailable_metrics (dashboard/queries.py source_health). Nothing has written or read the table since.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
DROP TABLE source_health;

-- migrate:down
CREATE TABLE source_health (
    source              text PRIMARY KEY,
    status              text NOT NULL CHECK (status IN ('ok', 'degraded', 'failing')),
    mode                text,
    message             text,
    unavailable_metrics jsonb NOT NULL DEFAULT '[]',
    run_id              bigint REFERENCES job_runs (run_id) ON DELETE SET NULL,
    checked_at          timestamptz NOT NULL DEFAULT now()
);
