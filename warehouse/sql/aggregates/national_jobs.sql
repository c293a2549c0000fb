-- Unique jobs (canonical postings) in the warehouse: sets the companion-skill sample levels.
SELECT count(*) AS jobs
FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
WHERE coalesce(c.is_canonical, true);
