-- last_seen = the latest sighting of the posting by any crawl.
UPDATE postings p SET last_seen = s.seen_at
FROM (SELECT posting_key, max(seen_at) AS seen_at FROM posting_sightings GROUP BY 1) s
WHERE s.posting_key = p.posting_id AND s.seen_at > p.last_seen;
