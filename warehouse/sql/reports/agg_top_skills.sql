-- top_skills.sql from skill_month_counts (valid when the dates are whole months).
WITH total AS (
    SELECT coalesce(sum(jobs), 0) AS jobs FROM posting_month_counts
    WHERE ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
),
counts AS (
    SELECT framework_id, skill_id, sum(postings) AS postings, sum(jobs) AS jobs
    FROM skill_month_counts
    WHERE ($framework IS NULL OR framework_id = $framework)
      AND ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
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
