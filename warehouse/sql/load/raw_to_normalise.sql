-- Raw posting versions not yet reflected in `postings` (new postings or changed content).
SELECT r.*
FROM latest_raw_postings r
LEFT JOIN postings p ON p.posting_id = r.posting_key
WHERE p.posting_id IS NULL OR p.raw_id <> r.raw_id
ORDER BY r.fetched_at, r.raw_id;
