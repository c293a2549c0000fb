-- The one place that decides which postings a report counts.
-- scoped_postings(...) = every posting inside the filter, with `is_canonical` (false for the
-- non-canonical members of a duplicate cluster) and `posted_on` (date_posted, else the day
-- first seen). filtered_postings(...) = the unique jobs only (what shares are computed on).
-- Each argument NULL = not filtered. Expired postings still count (they were demand then).
CREATE OR REPLACE TEMP MACRO scoped_postings(
    f_province, f_economic_region, f_sector, f_noc_prefix, f_since, f_until
) AS TABLE
SELECT p.*, coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on,
       coalesce(c.is_canonical, true) AS is_canonical
FROM postings AS p
LEFT JOIN posting_clusters AS c USING (posting_id)
WHERE (f_province IS NULL OR p.province = f_province)
  AND (f_economic_region IS NULL OR p.economic_region = f_economic_region)
  AND (f_sector IS NULL OR p.naics_sector = f_sector)
  AND (f_noc_prefix IS NULL OR starts_with(p.noc_code, f_noc_prefix))
  AND (f_since IS NULL
       OR coalesce(p.date_posted, CAST(p.first_seen AS DATE)) >= CAST(f_since AS DATE))
  AND (f_until IS NULL
       OR coalesce(p.date_posted, CAST(p.first_seen AS DATE)) <= CAST(f_until AS DATE));

CREATE OR REPLACE TEMP MACRO filtered_postings(
    f_province, f_economic_region, f_sector, f_noc_prefix, f_since, f_until
) AS TABLE
SELECT * FROM scoped_postings(f_province, f_economic_region, f_sector, f_noc_prefix, f_since,
                              f_until)
WHERE is_canonical;

-- A list of 'framework_id|skill_id' keys as a table to join on (framework_id, skill_id, key).
CREATE OR REPLACE TEMP MACRO key_table(keys) AS TABLE
SELECT split_part(k, '|', 1) AS framework_id, substr(k, strpos(k, '|') + 1) AS skill_id, k AS key
FROM (SELECT unnest(keys) AS k);

-- The report filter on a cell or job-level aggregate table (skill_month_counts, job_skills, ...):
-- true for rows inside it, each argument NULL = not filtered. Called as
-- in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until); the column
-- names (province, economic_region, naics_sector, noc_code, month) bind to the table read. Dates
-- compare with `month`, so it is exact only for whole months (when aggregates are used).
CREATE OR REPLACE TEMP MACRO in_filter(
    f_province, f_economic_region, f_sector, f_noc_prefix, f_since, f_until
) AS (f_province IS NULL OR province = f_province)
     AND (f_economic_region IS NULL OR economic_region = f_economic_region)
     AND (f_sector IS NULL OR naics_sector = f_sector)
     AND (f_noc_prefix IS NULL OR starts_with(noc_code, f_noc_prefix))
     AND (f_since IS NULL OR month >= CAST(f_since AS DATE))
     AND (f_until IS NULL OR month <= CAST(f_until AS DATE));
