-- Per skill per calendar month: filtered postings mentioning it and all filtered postings that
-- month. Dense: every skill seen in the filter x every month with postings (0 when absent).
WITH fp AS (
    SELECT posting_id, date_trunc('month', posted_on) AS month
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on IS NOT NULL
),
months AS (SELECT month, count(*) AS total_postings FROM fp GROUP BY month),
hits AS (
    SELECT ps.framework_id, ps.skill_id, fp.month, count(DISTINCT ps.posting_id) AS postings
    FROM posting_skills AS ps JOIN fp USING (posting_id)
    WHERE $framework IS NULL OR ps.framework_id = $framework
    GROUP BY ALL
),
seen AS (SELECT DISTINCT framework_id, skill_id FROM hits)
SELECT seen.framework_id,
       seen.skill_id,
       coalesce(s.preferred_label, seen.skill_id) AS label,
       CAST(months.month AS DATE)                 AS month,
       coalesce(hits.postings, 0)                 AS postings,
       months.total_postings
FROM seen
CROSS JOIN months
LEFT JOIN hits USING (framework_id, skill_id, month)
LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY seen.framework_id, seen.skill_id, month;
