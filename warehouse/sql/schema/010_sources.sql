-- A place postings come from: one row per configured source.
CREATE TABLE IF NOT EXISTS sources (
    source_id   VARCHAR PRIMARY KEY,
    family      VARCHAR NOT NULL,          -- jsonld | greenhouse | lever | ashby | jobbank | feed
    name        VARCHAR,
    start_urls  VARCHAR[],
    config      JSON,
    created_at  TIMESTAMP DEFAULT current_timestamp
);
