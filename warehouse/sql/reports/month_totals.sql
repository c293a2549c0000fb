-- Filtered postings per calendar month (months with no postings are absent).
SELECT CAST(date_trunc('month', posted_on) AS DATE) AS month, count(*) AS total_postings
FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
WHERE posted_on IS NOT NULL
GROUP BY ALL
ORDER BY month;
