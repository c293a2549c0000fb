-- Jobs per province for the given skills ($keys: 'framework_id|skill_id') and all filtered jobs
-- per province (the denominator of each province's share); a province no key is found in has
-- one row with key NULL and 0 jobs.
WITH fp AS (
    SELECT posting_id, province
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE province IS NOT NULL AND province <> 'OUTSIDE'
),
totals AS (SELECT province, count(*) AS total_jobs FROM fp GROUP BY ALL),
hits AS (
    SELECT fp.province, kt.key, count(DISTINCT ps.posting_id) AS jobs
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    JOIN fp USING (posting_id)
    GROUP BY ALL
)
SELECT totals.province, totals.total_jobs, hits.key, coalesce(hits.jobs, 0) AS jobs
FROM totals LEFT JOIN hits USING (province)
ORDER BY totals.total_jobs DESC, totals.province, hits.key;
