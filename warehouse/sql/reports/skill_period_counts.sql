-- Per skill per calendar month: filtered jobs mentioning it (sparse: months without a mention
-- are absent), from month $from on. $framework NULL = every framework.
WITH fp AS (
    SELECT posting_id, date_trunc('month', posted_on) AS month
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on >= CAST($from AS DATE)
),
pairs AS (
    SELECT DISTINCT ps.posting_id, ps.framework_id, ps.skill_id
    FROM posting_skills AS ps
    WHERE $framework IS NULL OR ps.framework_id = $framework
),
hits AS (
    SELECT framework_id, skill_id, month, count(*) AS jobs
    FROM pairs JOIN fp USING (posting_id)
    GROUP BY ALL
)
SELECT hits.framework_id, hits.skill_id, coalesce(s.preferred_label, hits.skill_id) AS label,
       CAST(hits.month AS DATE) AS month, hits.jobs
FROM hits LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY 1, 2, 4;
