-- Every time a crawl sees a posting (changed or not): drives last_seen and expiry by absence.
CREATE TABLE IF NOT EXISTS posting_sightings (
    posting_key VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    seen_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (posting_key, run_id)
);
-- One `lmi nightly` run: when, how it ended, and per-source counts with errors.
CREATE TABLE IF NOT EXISTS nightly_runs (
    nightly_id  VARCHAR PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL DEFAULT 'running',    -- running | ok | partial | failed
    per_source  JSON,
    totals      JSON
);
