-- filter_summary.sql from posting_month_counts (valid when the dates are whole months).
SELECT coalesce(sum(jobs), 0)              AS postings,
       coalesce(sum(postings), 0)          AS postings_all,
       coalesce(sum(jobs_with_skills), 0)  AS postings_with_skills,
       min(first_posted)                   AS first_posted,
       max(last_posted)                    AS last_posted,
       list_sort(list_distinct(flatten(list(extractor_versions)))) AS extractor_versions
FROM posting_month_counts
WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until);
