-- skill_by_province.sql from the cells (whole months): skill_month_by_province when the filter
-- is national or a province, else the full *_counts cells (lmi.warehouse.reports).
WITH totals AS (
    SELECT province, CAST(sum(jobs) AS BIGINT) AS total_jobs
    FROM posting_month_by_province
    WHERE province IS NOT NULL AND province <> 'OUTSIDE'
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
    HAVING sum(jobs) > 0
),
hits AS (
    SELECT province, kt.key, CAST(sum(jobs) AS BIGINT) AS jobs
    FROM skill_month_by_province JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    WHERE province IS NOT NULL AND province <> 'OUTSIDE'
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
    HAVING sum(jobs) > 0
)
SELECT totals.province, totals.total_jobs, hits.key, coalesce(hits.jobs, 0) AS jobs
FROM totals LEFT JOIN hits USING (province)
ORDER BY totals.total_jobs DESC, totals.province, hits.key;
