-- month_totals.sql from posting_month_counts (valid when the dates are whole months).
SELECT month, CAST(sum(jobs) AS BIGINT) AS total_postings
FROM posting_month_counts
WHERE ($province IS NULL OR province = $province)
  AND ($economic_region IS NULL OR economic_region = $economic_region)
  AND ($sector IS NULL OR naics_sector = $sector)
  AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
  AND ($since IS NULL OR month >= CAST($since AS DATE))
  AND ($until IS NULL OR month <= CAST($until AS DATE))
GROUP BY ALL
HAVING sum(jobs) > 0
ORDER BY month;
