-- Raw posting versions, exactly as fetched. The pipeline repeats the row of placeholders
-- once per row of a batch (one statement per batch is ~10x faster than executemany).
INSERT INTO raw_postings (
    raw_id, posting_key, source_id, run_id, url, fetched_at, content_hash, title, employer,
    description_html, date_posted, valid_through, location_raw, address_locality, address_region,
    address_country, postal_code, remote, industry, occupational_category, employment_type,
    salary_json, identifier, jsonld
) VALUES
(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (raw_id) DO NOTHING;
