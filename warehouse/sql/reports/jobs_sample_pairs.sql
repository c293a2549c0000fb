-- The distinct (job, skill) pairs of the filtered unique jobs in the sample level >= $min_level
-- (hash(posting_id) % 2^$min_level = 0), from job_skills (refresh_aggregates; whole months).
SELECT job, skill
FROM job_skills
WHERE level >= $min_level
  AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until);
