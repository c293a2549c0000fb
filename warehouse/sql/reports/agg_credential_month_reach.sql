-- credential_month_reach.sql from credential_month_counts (valid when the dates are whole
-- months and credential_skills is unchanged since the refresh).
SELECT credential_id, month, CAST(sum(jobs) AS BIGINT) AS jobs
FROM credential_month_counts
WHERE ($from IS NULL OR month >= CAST($from AS DATE))
  AND ($province IS NULL OR province = $province)
  AND ($economic_region IS NULL OR economic_region = $economic_region)
  AND ($sector IS NULL OR naics_sector = $sector)
  AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
  AND ($since IS NULL OR month >= CAST($since AS DATE))
  AND ($until IS NULL OR month <= CAST($until AS DATE))
GROUP BY ALL
ORDER BY 1, 2;
