-- skill_period_counts.sql from skill_month_counts (valid when the dates are whole months).
WITH hits AS (
    SELECT framework_id, skill_id, month, CAST(sum(jobs) AS BIGINT) AS jobs
    FROM skill_month_counts
    WHERE month >= CAST($from AS DATE)
      AND ($framework IS NULL OR framework_id = $framework)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
    HAVING sum(jobs) > 0
)
SELECT hits.framework_id, hits.skill_id, coalesce(s.preferred_label, hits.skill_id) AS label,
       hits.month, hits.jobs
FROM hits LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY 1, 2, 4;
