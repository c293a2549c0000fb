-- phrase_period_counts.sql from phrase_month_counts (valid when the dates are whole months).
WITH hits AS (
    SELECT phrase, month, CAST(sum(jobs) AS BIGINT) AS jobs
    FROM phrase_month_counts
    WHERE month >= CAST($from AS DATE)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
),
kept AS (SELECT phrase FROM hits GROUP BY phrase HAVING sum(jobs) >= $min_total)
SELECT 'phrase' AS framework_id, phrase AS skill_id, phrase AS label, month, jobs
FROM hits SEMI JOIN kept USING (phrase)
ORDER BY 2, 4;
