-- The base-table counts now and when the aggregates were refreshed (NULL: never).
SELECT (SELECT count(*) FROM postings)         AS postings,
       (SELECT count(*) FROM posting_skills)   AS posting_skills,
       (SELECT count(*) FROM posting_clusters) AS posting_clusters,
       (SELECT count(*) FILTER (WHERE NOT is_canonical) FROM posting_clusters) AS duplicates,
       (SELECT count(*) FROM unlinked_phrases) AS unlinked_phrases;
