-- top_skills.sql from skill_month_counts (valid when the dates are whole months).
WITH total AS (
    SELECT coalesce(sum(jobs), 0) AS jobs FROM posting_month_counts
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
counts AS (
    SELECT framework_id, skill_id, sum(postings) AS postings, sum(jobs) AS jobs
    FROM skill_month_counts
    WHERE ($framework IS NULL OR framework_id = $framework)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
)
SELECT c.framework_id, c.skill_id, coalesce(s.preferred_label, c.skill_id) AS label,
       s.skill_type, CAST(c.postings AS BIGINT) AS postings, CAST(c.jobs AS BIGINT) AS jobs,
       c.jobs / nullif(total.jobs, 0) AS share
FROM counts AS c CROSS JOIN total
LEFT JOIN skills AS s USING (framework_id, skill_id)
WHERE c.jobs > 0
ORDER BY c.jobs DESC, c.postings DESC, label, c.skill_id
LIMIT $limit;
