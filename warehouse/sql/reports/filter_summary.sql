-- Reproducibility facts about the filtered postings: how many (all and unique jobs), the data
-- window, extractor versions.
SELECT count(*) FILTER (WHERE is_canonical)               AS postings,
       count(*)                                            AS postings_all,
       count(*) FILTER (WHERE is_canonical AND posting_id IN (SELECT posting_id
                                                              FROM posting_skills))
                                                           AS postings_with_skills,
       min(posted_on)                                      AS first_posted,
       max(posted_on)                                      AS last_posted,
       list_sort(list_distinct(list(extractor_version)))   AS extractor_versions
FROM scoped_postings($province, $economic_region, $sector, $noc_prefix, $since, $until);
