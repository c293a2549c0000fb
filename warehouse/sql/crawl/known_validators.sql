-- Validators of a source's pages whose posting is stored. Param: source_id.
SELECT h.url, h.etag, h.last_modified, h.posting_key
FROM http_cache h
WHERE h.source_id = ?
  AND (h.etag IS NOT NULL OR h.last_modified IS NOT NULL)
  AND EXISTS (SELECT 1 FROM raw_postings r WHERE r.posting_key = h.posting_key);
