-- Pre-aggregated counts for the report queries (rebuilt by lmi.warehouse.aggregates.
-- refresh_aggregates; reports use them only while aggregates_state matches the base tables).
-- Cell tables are ordered by month, sector, province so that DuckDB's zone maps skip the row
-- groups a combined filter does not need; rollups.sql then sums them to one dimension.

-- Every posting with its cell: month, place, sector, occupation, and whether it is a unique job.
CREATE OR REPLACE TEMP TABLE posting_cells AS
SELECT p.posting_id,
       CAST(date_trunc('month', coalesce(p.date_posted, CAST(p.first_seen AS DATE))) AS DATE)
           AS month,
       coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on,
       p.province, p.economic_region, p.naics_sector, p.noc_code, p.extractor_version,
       coalesce(c.is_canonical, true) AS is_canonical
FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id);

CREATE OR REPLACE TEMP TABLE skill_pairs AS
SELECT DISTINCT posting_id, framework_id, skill_id FROM posting_skills;

-- One row per skill x month x place x sector x occupation: postings mentioning the skill
-- (duplicates included) and unique jobs (canonical postings).
CREATE OR REPLACE TABLE skill_month_counts AS
SELECT framework_id, skill_id, month, province, economic_region, naics_sector, noc_code,
       count(*) AS postings, count(*) FILTER (WHERE is_canonical) AS jobs
FROM skill_pairs JOIN posting_cells USING (posting_id)
GROUP BY ALL
ORDER BY month, naics_sector, province, framework_id, skill_id;

-- The same cells for all postings (the denominators), with the data window and versions.
CREATE OR REPLACE TABLE posting_month_counts AS
WITH with_skills AS (SELECT DISTINCT posting_id FROM skill_pairs)
SELECT month, province, economic_region, naics_sector, noc_code,
       count(*) AS postings,
       count(*) FILTER (WHERE is_canonical) AS jobs,
       count(*) FILTER (WHERE is_canonical AND w.posting_id IS NOT NULL) AS jobs_with_skills,
       min(posted_on) AS first_posted, max(posted_on) AS last_posted,
       list_distinct(list(extractor_version)) AS extractor_versions
FROM posting_cells LEFT JOIN with_skills AS w USING (posting_id)
GROUP BY ALL
ORDER BY month, naics_sector, province;

-- Out-of-framework phrases (normalised) per month and cell: unique jobs using them.
CREATE OR REPLACE TABLE phrase_month_counts AS
WITH phrases AS (
    SELECT DISTINCT posting_id, lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))) AS phrase
    FROM unlinked_phrases
)
SELECT phrase, month, province, economic_region, naics_sector, noc_code, count(*) AS jobs
FROM phrases JOIN posting_cells USING (posting_id)
WHERE is_canonical
GROUP BY ALL
ORDER BY month, naics_sector, province, phrase;

-- Per credential x cell: unique jobs mentioning one or more skills the credential is mapped
-- to (its reach; a job has one month, so reach over months is a sum).
CREATE OR REPLACE TABLE credential_month_counts AS
WITH mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
reached AS (
    SELECT DISTINCT mapped.credential_id, sp.posting_id
    FROM mapped JOIN skill_pairs AS sp USING (framework_id, skill_id)
)
SELECT credential_id, month, province, economic_region, naics_sector, noc_code,
       count(*) AS jobs
FROM reached JOIN posting_cells USING (posting_id)
WHERE is_canonical
GROUP BY ALL
ORDER BY month, naics_sector, province, credential_id;

-- Posting-level tables for the queries that need jobs, not counts (companion skills,
-- co-occurrence, cluster reach): integer codes for skills and unique jobs (job numbers follow
-- posting_id order), each job with its cell and sample level (the largest l <= 8 with
-- hash(posting_id) % 2^l = 0: the sample hash % 2^L = 0 of credential_coskills.sql is
-- level >= L), and job_skills = the distinct (job, skill) pairs, ordered by level, sector,
-- province and month so that a filter reads only its row groups.
CREATE OR REPLACE TABLE skill_codes AS
SELECT CAST(row_number() OVER (ORDER BY framework_id, skill_id) AS INTEGER) AS skill,
       framework_id, skill_id,
       CAST(dense_rank() OVER (ORDER BY skill_id) AS INTEGER) AS id_rank
FROM (SELECT DISTINCT framework_id, skill_id FROM skill_pairs)
ORDER BY skill;

CREATE OR REPLACE TABLE job_index AS
SELECT CAST(row_number() OVER (ORDER BY posting_id) AS INTEGER) AS job, posting_id, month,
       province, economic_region, naics_sector, noc_code,
       CAST(CASE WHEN h % 256 = 0 THEN 8 WHEN h % 128 = 0 THEN 7 WHEN h % 64 = 0 THEN 6
                 WHEN h % 32 = 0 THEN 5 WHEN h % 16 = 0 THEN 4 WHEN h % 8 = 0 THEN 3
                 WHEN h % 4 = 0 THEN 2 WHEN h % 2 = 0 THEN 1 ELSE 0 END AS TINYINT) AS level
FROM (SELECT *, hash(posting_id) AS h FROM posting_cells WHERE is_canonical)
ORDER BY level, naics_sector, province, month, job;

CREATE OR REPLACE TABLE job_skills AS
SELECT j.job, k.skill, j.level, j.month, j.province, j.economic_region, j.naics_sector,
       j.noc_code
FROM skill_pairs AS sp
JOIN job_index AS j USING (posting_id)
JOIN skill_codes AS k USING (framework_id, skill_id)
ORDER BY j.level, j.naics_sector, j.province, j.month, j.job;

-- Evidence candidates: per skill (framework 'phrase': normalised unlinked phrase) and month,
-- the first 3 matches in unique jobs in the order of evidence.sql (posting_id, start_char,
-- end_char); the first per <= 3 of a window of months are among them.
CREATE OR REPLACE TABLE evidence_month_firsts AS
WITH hits AS (
    SELECT framework_id, skill_id, posting_id, matched_text, start_char, end_char
    FROM posting_skills
    UNION ALL
    SELECT 'phrase', lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))), posting_id, phrase,
           start_char, end_char
    FROM unlinked_phrases
)
SELECT hits.framework_id, hits.skill_id, p.month,
       min_by({'posting_id': hits.posting_id, 'matched_text': hits.matched_text,
               'start_char': hits.start_char, 'end_char': hits.end_char},
              row(hits.posting_id, hits.start_char, hits.end_char), 3) AS firsts
FROM hits JOIN posting_cells AS p USING (posting_id)
WHERE p.is_canonical
GROUP BY ALL
ORDER BY hits.framework_id, hits.skill_id, p.month;

DROP TABLE skill_pairs;

DROP TABLE posting_cells;

-- Tables of earlier versions (companion-skill samples, now read from job_skills).
DROP TABLE IF EXISTS sample_jobs;

DROP TABLE IF EXISTS sample_skill_counts;

DROP TABLE IF EXISTS credential_sample_reach;

DROP TABLE IF EXISTS credential_coskill_counts;

CREATE OR REPLACE TABLE aggregates_state AS
SELECT (SELECT count(*) FROM postings)         AS postings,
       (SELECT count(*) FROM posting_skills)   AS posting_skills,
       (SELECT count(*) FROM posting_clusters) AS posting_clusters,
       (SELECT count(*) FILTER (WHERE NOT is_canonical) FROM posting_clusters) AS duplicates,
       (SELECT count(*) FROM unlinked_phrases) AS unlinked_phrases,
       (SELECT count(*) FROM credential_skills) AS credential_skills,
       (SELECT coalesce(sum(hash(credential_id, framework_id, skill_id)), 0)
        FROM credential_skills)                AS credential_skills_hash,
       current_timestamp                        AS refreshed_at;
