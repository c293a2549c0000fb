-- Duplicate clusters of postings (written by lmi.warehouse.dedup.dedup_warehouse).
-- One row per posting; unique jobs = COUNT(DISTINCT cluster_id), total postings = COUNT(*).
CREATE TABLE IF NOT EXISTS posting_clusters (
    posting_id      VARCHAR PRIMARY KEY,        -- postings.posting_id
    cluster_id      VARCHAR NOT NULL,           -- smallest posting_id in the cluster
    is_canonical    BOOLEAN NOT NULL,           -- exactly one per cluster: the job's representative
    method          VARCHAR NOT NULL            -- unique | canonical | identifier | url | text
);
