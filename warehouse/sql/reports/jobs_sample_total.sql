-- The filtered unique jobs in the sample level >= $min_level, with or without skills (the
-- `total` of credential_coskills.sql), from job_index (refresh_aggregates; whole months).
SELECT count(*) AS jobs
FROM job_index
WHERE level >= $min_level
  AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until);
