DELETE FROM posting_clusters;
