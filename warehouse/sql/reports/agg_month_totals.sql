-- month_totals.sql from posting_month_counts (valid when the dates are whole months).
SELECT month, CAST(sum(jobs) AS BIGINT) AS total_postings
FROM posting_month_counts
WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
GROUP BY ALL
HAVING sum(jobs) > 0
ORDER BY month;
