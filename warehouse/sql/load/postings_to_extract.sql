-- Postings whose skills are missing or were extracted by another extractor version.
SELECT posting_id, title, description, language
FROM postings
WHERE extracted_at IS NULL OR extractor_version IS DISTINCT FROM $version
ORDER BY posting_id;
