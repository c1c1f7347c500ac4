-- Refresh requests remember how often a worker claimed them and why they failed, so a request whose run was
-- killed mid-way is retried a bounded number of times (QUEUE_MAX_ATTEMPTS), then failed for good with the reason.

-- migrate:up
ALTER TABLE refresh_requests ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE refresh_requests ADD COLUMN error text;

-- migrate:down
ALTER TABLE refresh_requests DROP COLUMN error;
ALTER TABLE refresh_requests DROP COLUMN attempts;
