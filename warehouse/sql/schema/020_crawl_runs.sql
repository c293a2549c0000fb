-- One crawl of one source: when, what happened, and a sample of each problem.
CREATE TABLE IF NOT EXISTS crawl_runs (
    run_id          VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL DEFAULT 'running',   -- running | ok | failed
    pages_fetched   INTEGER DEFAULT 0,
    postings_seen   INTEGER DEFAULT 0,
    postings_new    INTEGER DEFAULT 0,
    postings_changed INTEGER DEFAULT 0,
    postings_unchanged INTEGER DEFAULT 0,
    postings_invalid INTEGER DEFAULT 0,
    pages_without_jsonld INTEGER DEFAULT 0,
    errors          JSON                                  -- [{kind, url, detail}]
);
