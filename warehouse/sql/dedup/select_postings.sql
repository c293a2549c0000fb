-- Every posting with what deduplication needs; identifier comes from the raw version.
SELECT p.posting_id, p.source_id, p.url, r.identifier, p.title, p.employer, p.description,
       p.city, p.province, p.location_raw, p.date_posted, p.first_seen
FROM postings AS p
LEFT JOIN raw_postings AS r ON r.raw_id = p.raw_id
ORDER BY p.posting_id;
