-- credential_month_reach.sql from credential_month_counts (valid when the dates are whole
-- months and credential_skills is unchanged since the refresh).
SELECT credential_id, month, CAST(sum(jobs) AS BIGINT) AS jobs
FROM credential_month_counts
WHERE ($from IS NULL OR month >= CAST($from AS DATE))
  AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
GROUP BY ALL
ORDER BY 1, 2;
