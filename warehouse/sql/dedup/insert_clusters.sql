-- Bulk insert from four parallel lists: posting ids, cluster ids, canonical flags, methods.
INSERT INTO posting_clusters (posting_id, cluster_id, is_canonical, method)
SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BOOLEAN[]), unnest(?::VARCHAR[]);
