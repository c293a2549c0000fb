-- The one place that decides which postings a report counts. Every report query selects from
-- filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until);
-- each argument NULL = not filtered. `posted_on` is date_posted, else the day first seen.
-- A job posted several times counts once: postings that dedup marked as non-canonical members
-- of a duplicate cluster are left out. Expired postings still count (they were demand then).
CREATE OR REPLACE TEMP MACRO filtered_postings(
    f_province, f_economic_region, f_sector, f_noc_prefix, f_since, f_until
) AS TABLE
SELECT p.*, coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on
FROM postings AS p
WHERE NOT EXISTS (SELECT 1 FROM posting_clusters AS c
                  WHERE c.posting_id = p.posting_id AND NOT c.is_canonical)
  AND (f_province IS NULL OR p.province = f_province)
  AND (f_economic_region IS NULL OR p.economic_region = f_economic_region)
  AND (f_sector IS NULL OR p.naics_sector = f_sector)
  AND (f_noc_prefix IS NULL OR starts_with(p.noc_code, f_noc_prefix))
  AND (f_since IS NULL
       OR coalesce(p.date_posted, CAST(p.first_seen AS DATE)) >= CAST(f_since AS DATE))
  AND (f_until IS NULL
       OR coalesce(p.date_posted, CAST(p.first_seen AS DATE)) <= CAST(f_until AS DATE));
