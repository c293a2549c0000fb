-- Validators of fetched posting pages, for conditional requests (If-None-Match /
-- If-Modified-Since) on the next crawl. Written with the posting they produced, in one batch.
CREATE TABLE IF NOT EXISTS http_cache (
    url             VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    posting_key     VARCHAR NOT NULL,
    etag            VARCHAR,
    last_modified   VARCHAR,           -- the header as sent by the server (an HTTP date)
    last_status     INTEGER,           -- 200 or 304
    fetched_at      TIMESTAMP NOT NULL
);
-- Crawl run counters added for incremental and robust crawling.
ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS not_modified INTEGER DEFAULT 0;   -- 304 answers
ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS bodies_fetched INTEGER DEFAULT 0; -- 200 answers
ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS problems JSON;                    -- {kind: count}
ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS workers INTEGER DEFAULT 1;
