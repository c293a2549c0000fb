-- Share of filtered jobs mentioning each of the given skills ($keys: list of
-- 'framework_id|skill_id'), and the number of filtered jobs. Used for reference (national)
-- shares in location quotients.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
total AS (SELECT count(*) AS jobs FROM fp),
hits AS (
    SELECT ps.framework_id, ps.skill_id, count(DISTINCT ps.posting_id) AS jobs
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    SEMI JOIN fp USING (posting_id)
    GROUP BY ALL
)
SELECT hits.framework_id, hits.skill_id, hits.jobs, hits.jobs / nullif(total.jobs, 0) AS share,
       total.jobs AS total_jobs
FROM hits CROSS JOIN total;
