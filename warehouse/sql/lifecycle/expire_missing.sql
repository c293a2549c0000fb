-- A posting missing from the last $missed successful crawls of its source is expired at the first
-- crawl that missed it.
WITH runs AS (
    SELECT run_id, source_id, started_at,
           row_number() OVER (PARTITION BY source_id ORDER BY started_at DESC) AS recency
    FROM crawl_runs WHERE status = 'ok'
), recent AS (
    SELECT * FROM runs WHERE recency <= $missed
), enough AS (
    SELECT source_id, min(started_at) AS first_missed_window
    FROM recent GROUP BY source_id HAVING count(*) = $missed
), seen_recently AS (
    SELECT DISTINCT s.posting_key
    FROM posting_sightings s JOIN recent r USING (run_id)
)
UPDATE postings p SET expired_at = e.first_missed_window
FROM enough e
WHERE p.source_id = e.source_id
  AND p.expired_at IS NULL
  AND p.posting_id NOT IN (SELECT posting_key FROM seen_recently)
  AND p.last_seen < e.first_missed_window;
