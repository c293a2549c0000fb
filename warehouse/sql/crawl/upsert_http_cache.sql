-- Remember validators per URL. The pipeline repeats the row of placeholders once per row.
INSERT INTO http_cache (url, source_id, posting_key, etag, last_modified, last_status, fetched_at)
VALUES
(?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET
    source_id = excluded.source_id,
    posting_key = excluded.posting_key,
    etag = excluded.etag,
    last_modified = excluded.last_modified,
    last_status = excluded.last_status,
    fetched_at = excluded.fetched_at;
