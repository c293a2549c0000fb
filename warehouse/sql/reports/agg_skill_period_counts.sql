-- skill_period_counts.sql from skill_month_counts (valid when the dates are whole months).
WITH hits AS (
    SELECT framework_id, skill_id, month, CAST(sum(jobs) AS BIGINT) AS jobs
    FROM skill_month_counts
    WHERE month >= CAST($from AS DATE)
      AND ($framework IS NULL OR framework_id = $framework)
      AND ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
    GROUP BY ALL
    HAVING sum(jobs) > 0
)
SELECT hits.framework_id, hits.skill_id, coalesce(s.preferred_label, hits.skill_id) AS label,
       hits.month, hits.jobs
FROM hits LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY 1, 2, 4;
