-- phrase_period_counts.sql from phrase_month_counts (valid when the dates are whole months).
WITH hits AS (
    SELECT phrase, month, CAST(sum(jobs) AS BIGINT) AS jobs
    FROM phrase_month_counts
    WHERE month >= CAST($from AS DATE)
      AND ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
    GROUP BY ALL
),
kept AS (SELECT phrase FROM hits GROUP BY phrase HAVING sum(jobs) >= $min_total)
SELECT 'phrase' AS framework_id, phrase AS skill_id, phrase AS label, month, jobs
FROM hits SEMI JOIN kept USING (phrase)
ORDER BY 2, 4;
