-- The latest raw version of each posting (what the loader normalises).
CREATE OR REPLACE VIEW latest_raw_postings AS
SELECT * EXCLUDE (rn) FROM (
    SELECT r.*, row_number() OVER (PARTITION BY posting_key ORDER BY fetched_at DESC, raw_id) AS rn
    FROM raw_postings r
) WHERE rn = 1;
