-- Jobs per province for the given skills ($keys: 'framework_id|skill_id') and all filtered jobs
-- per province (the denominator of each province's share).
WITH fp AS (
    SELECT posting_id, province
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE province IS NOT NULL AND province <> 'OUTSIDE'
),
totals AS (SELECT province, count(*) AS total_jobs FROM fp GROUP BY ALL),
hits AS (
    SELECT DISTINCT ps.posting_id, ps.framework_id || '|' || ps.skill_id AS key
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
)
SELECT totals.province, totals.total_jobs, hits.key, count(hits.posting_id) AS jobs
FROM totals
LEFT JOIN fp USING (province)
LEFT JOIN hits USING (posting_id)
GROUP BY ALL
ORDER BY totals.total_jobs DESC, totals.province, hits.key;
