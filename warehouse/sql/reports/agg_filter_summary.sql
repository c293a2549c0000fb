-- filter_summary.sql from posting_month_counts (valid when the dates are whole months).
SELECT coalesce(sum(jobs), 0)              AS postings,
       coalesce(sum(postings), 0)          AS postings_all,
       coalesce(sum(jobs_with_skills), 0)  AS postings_with_skills,
       min(first_posted)                   AS first_posted,
       max(last_posted)                    AS last_posted,
       list_sort(list_distinct(flatten(list(extractor_versions)))) AS extractor_versions
FROM posting_month_counts
WHERE ($province IS NULL OR province = $province)
  AND ($economic_region IS NULL OR economic_region = $economic_region)
  AND ($sector IS NULL OR naics_sector = $sector)
  AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
  AND ($since IS NULL OR month >= CAST($since AS DATE))
  AND ($until IS NULL OR month <= CAST($until AS DATE));
