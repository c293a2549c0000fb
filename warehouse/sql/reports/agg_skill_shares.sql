-- skill_shares.sql from skill_month_counts (valid when the dates are whole months).
WITH total AS (
    SELECT coalesce(sum(jobs), 0) AS n FROM posting_month_counts
    WHERE ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
)
SELECT framework_id, skill_id, CAST(sum(skill_month_counts.jobs) AS BIGINT) AS jobs,
       sum(skill_month_counts.jobs) / nullif(any_value(total.n), 0) AS share,
       any_value(total.n) AS total_jobs
FROM skill_month_counts CROSS JOIN total
JOIN key_table($keys) AS kt USING (framework_id, skill_id)
WHERE TRUE
  AND ($province IS NULL OR province = $province)
  AND ($economic_region IS NULL OR economic_region = $economic_region)
  AND ($sector IS NULL OR naics_sector = $sector)
  AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
  AND ($since IS NULL OR month >= CAST($since AS DATE))
  AND ($until IS NULL OR month <= CAST($until AS DATE))
GROUP BY ALL;
