-- Pre-aggregated counts for the report queries (rebuilt by lmi.warehouse.aggregates.
-- refresh_aggregates; reports use them only while aggregates_state matches the base tables).
-- One row per skill x month x place x sector x occupation: postings mentioning the skill
-- (duplicates included) and unique jobs (canonical postings).
CREATE OR REPLACE TABLE skill_month_counts AS
WITH p AS (
    SELECT p.posting_id, CAST(date_trunc('month', coalesce(p.date_posted,
                                                         CAST(p.first_seen AS DATE))) AS DATE)
               AS month,
           p.province, p.economic_region, p.naics_sector, p.noc_code,
           coalesce(c.is_canonical, true) AS is_canonical
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
),
pairs AS (SELECT DISTINCT posting_id, framework_id, skill_id FROM posting_skills)
SELECT framework_id, skill_id, month, province, economic_region, naics_sector, noc_code,
       count(*) AS postings, count(*) FILTER (WHERE is_canonical) AS jobs
FROM pairs JOIN p USING (posting_id)
GROUP BY ALL
ORDER BY month, framework_id, skill_id;

-- The same cells for all postings (the denominators), with the data window and versions.
CREATE OR REPLACE TABLE posting_month_counts AS
WITH p AS (
    SELECT p.posting_id, coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on,
           p.province, p.economic_region, p.naics_sector, p.noc_code, p.extractor_version,
           coalesce(c.is_canonical, true) AS is_canonical
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
),
with_skills AS (SELECT DISTINCT posting_id FROM posting_skills)
SELECT CAST(date_trunc('month', posted_on) AS DATE) AS month, province, economic_region,
       naics_sector, noc_code,
       count(*) AS postings,
       count(*) FILTER (WHERE is_canonical) AS jobs,
       count(*) FILTER (WHERE is_canonical AND w.posting_id IS NOT NULL) AS jobs_with_skills,
       min(posted_on) AS first_posted, max(posted_on) AS last_posted,
       list_distinct(list(extractor_version)) AS extractor_versions
FROM p LEFT JOIN with_skills AS w USING (posting_id)
GROUP BY ALL
ORDER BY month;

-- National monthly totals (no place, sector or occupation): what unfiltered reports read. The
-- NULL dimension columns let the same WHERE clauses run on them.
CREATE OR REPLACE TABLE skill_month_totals AS
SELECT framework_id, skill_id, month, CAST(NULL AS VARCHAR) AS province,
       CAST(NULL AS VARCHAR) AS economic_region, CAST(NULL AS VARCHAR) AS naics_sector,
       CAST(NULL AS VARCHAR) AS noc_code, sum(postings) AS postings, sum(jobs) AS jobs
FROM skill_month_counts
GROUP BY framework_id, skill_id, month;

CREATE OR REPLACE TABLE posting_month_totals AS
SELECT month, CAST(NULL AS VARCHAR) AS province, CAST(NULL AS VARCHAR) AS economic_region,
       CAST(NULL AS VARCHAR) AS naics_sector, CAST(NULL AS VARCHAR) AS noc_code,
       sum(postings) AS postings, sum(jobs) AS jobs, sum(jobs_with_skills) AS jobs_with_skills,
       min(first_posted) AS first_posted, max(last_posted) AS last_posted,
       list_distinct(flatten(list(extractor_versions))) AS extractor_versions
FROM posting_month_counts
GROUP BY month;

-- Out-of-framework phrases (normalised) per month and cell: unique jobs using them.
CREATE OR REPLACE TABLE phrase_month_counts AS
WITH p AS (
    SELECT p.posting_id, CAST(date_trunc('month', coalesce(p.date_posted,
                                                         CAST(p.first_seen AS DATE))) AS DATE)
               AS month,
           p.province, p.economic_region, p.naics_sector, p.noc_code
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
    WHERE coalesce(c.is_canonical, true)
),
phrases AS (
    SELECT DISTINCT posting_id, lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))) AS phrase
    FROM unlinked_phrases
)
SELECT phrase, month, province, economic_region, naics_sector, noc_code, count(*) AS jobs
FROM phrases JOIN p USING (posting_id)
GROUP BY ALL
ORDER BY month, phrase;

CREATE OR REPLACE TABLE aggregates_state AS
SELECT (SELECT count(*) FROM postings)         AS postings,
       (SELECT count(*) FROM posting_skills)   AS posting_skills,
       (SELECT count(*) FROM posting_clusters) AS posting_clusters,
       (SELECT count(*) FILTER (WHERE NOT is_canonical) FROM posting_clusters) AS duplicates,
       (SELECT count(*) FROM unlinked_phrases) AS unlinked_phrases,
       current_timestamp                        AS refreshed_at;
