-- skill_shares.sql from skill_month_counts (valid when the dates are whole months).
WITH total AS (
    SELECT coalesce(sum(jobs), 0) AS n FROM posting_month_counts
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
)
SELECT framework_id, skill_id, CAST(sum(skill_month_counts.jobs) AS BIGINT) AS jobs,
       sum(skill_month_counts.jobs) / nullif(any_value(total.n), 0) AS share,
       any_value(total.n) AS total_jobs
FROM skill_month_counts CROSS JOIN total
JOIN key_table($keys) AS kt USING (framework_id, skill_id)
WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
GROUP BY ALL;
