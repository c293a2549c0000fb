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

CREATE OR REPLACE TABLE phrase_month_totals AS
SELECT phrase, month, CAST(NULL AS VARCHAR) AS province,
       CAST(NULL AS VARCHAR) AS economic_region, CAST(NULL AS VARCHAR) AS naics_sector,
       CAST(NULL AS VARCHAR) AS noc_code, sum(jobs) AS jobs
FROM phrase_month_counts
GROUP BY phrase, month;

-- Per credential x cell: unique jobs mentioning one or more skills the credential is mapped
-- to (its reach; a job has one month, so reach over months is a sum).
CREATE OR REPLACE TABLE credential_month_counts AS
WITH p AS (
    SELECT p.posting_id, CAST(date_trunc('month', coalesce(p.date_posted,
                                                         CAST(p.first_seen AS DATE))) AS DATE)
               AS month,
           p.province, p.economic_region, p.naics_sector, p.noc_code
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
    WHERE coalesce(c.is_canonical, true)
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
reached AS (
    SELECT DISTINCT mapped.credential_id, ps.posting_id
    FROM mapped JOIN posting_skills AS ps USING (framework_id, skill_id)
)
SELECT credential_id, month, province, economic_region, naics_sector, noc_code,
       count(*) AS jobs
FROM reached JOIN p USING (posting_id)
GROUP BY ALL
ORDER BY month, credential_id;

CREATE OR REPLACE TABLE credential_month_totals AS
SELECT credential_id, month, CAST(NULL AS VARCHAR) AS province,
       CAST(NULL AS VARCHAR) AS economic_region, CAST(NULL AS VARCHAR) AS naics_sector,
       CAST(NULL AS VARCHAR) AS noc_code, sum(jobs) AS jobs
FROM credential_month_counts
GROUP BY credential_id, month;

-- Companion skills of credentials on the nested job samples of credential_coskills.sql
-- (hash(posting_id) % 2^level = 0, level $min_level..8, $min_mod = 2^$min_level; a job is in
-- the sample of every level up to its own): national counts per month and level. sample_jobs: (month, level) -> jobs;
-- sample_skill_counts: skill jobs; credential_sample_reach: jobs reaching each credential;
-- credential_coskill_counts: jobs reaching the credential that mention the skill.
CREATE OR REPLACE TEMP TABLE sampled AS
SELECT posting_id, month,
       CASE WHEN h % 256 = 0 THEN 8 WHEN h % 128 = 0 THEN 7 WHEN h % 64 = 0 THEN 6
            WHEN h % 32 = 0 THEN 5 WHEN h % 16 = 0 THEN 4 WHEN h % 8 = 0 THEN 3
            WHEN h % 4 = 0 THEN 2 WHEN h % 2 = 0 THEN 1 ELSE 0 END AS level
FROM (
    SELECT p.posting_id, hash(p.posting_id) AS h,
           CAST(date_trunc('month', coalesce(p.date_posted, CAST(p.first_seen AS DATE)))
                AS DATE) AS month
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
    WHERE coalesce(c.is_canonical, true)
)
WHERE h % $min_mod = 0;

CREATE OR REPLACE TABLE sample_jobs AS
SELECT month, level, count(*) AS jobs FROM sampled GROUP BY ALL ORDER BY month, level;

CREATE OR REPLACE TEMP TABLE sampled_pairs AS
SELECT DISTINCT ps.posting_id, ps.framework_id, ps.skill_id, s.month, s.level
FROM posting_skills AS ps JOIN sampled AS s USING (posting_id);

CREATE OR REPLACE TABLE sample_skill_counts AS
SELECT framework_id, skill_id, month, level, count(*) AS jobs
FROM sampled_pairs GROUP BY ALL ORDER BY month, level, framework_id, skill_id;

CREATE OR REPLACE TEMP TABLE sampled_reached AS
SELECT DISTINCT m.credential_id, sp.posting_id, sp.month, sp.level
FROM (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills) AS m
JOIN sampled_pairs AS sp USING (framework_id, skill_id);

CREATE OR REPLACE TABLE credential_sample_reach AS
SELECT credential_id, month, level, count(*) AS jobs
FROM sampled_reached GROUP BY ALL ORDER BY credential_id, month, level;

CREATE OR REPLACE TABLE credential_coskill_counts AS
SELECT r.credential_id, sp.framework_id, sp.skill_id, r.month, r.level, count(*) AS jobs
FROM sampled_reached AS r JOIN sampled_pairs AS sp USING (posting_id)
GROUP BY ALL
ORDER BY credential_id, month, level;

DROP TABLE sampled_reached;

DROP TABLE sampled_pairs;

DROP TABLE sampled;

-- Evidence candidates: per skill (framework 'phrase': normalised unlinked phrase) and month,
-- the first 3 matches in unique jobs in the order of evidence.sql (posting_id, start_char,
-- end_char); the first per <= 3 of a window of months are among them.
CREATE OR REPLACE TABLE evidence_month_firsts AS
WITH p AS (
    SELECT p.posting_id, CAST(date_trunc('month', coalesce(p.date_posted,
                                                         CAST(p.first_seen AS DATE))) AS DATE)
               AS month
    FROM postings AS p LEFT JOIN posting_clusters AS c USING (posting_id)
    WHERE coalesce(c.is_canonical, true)
),
hits AS (
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
FROM hits JOIN p USING (posting_id)
GROUP BY ALL
ORDER BY hits.framework_id, hits.skill_id, p.month;

CREATE OR REPLACE TABLE aggregates_state AS
SELECT (SELECT count(*) FROM postings)         AS postings,
       (SELECT count(*) FROM posting_skills)   AS posting_skills,
       (SELECT count(*) FROM posting_clusters) AS posting_clusters,
       (SELECT count(*) FILTER (WHERE NOT is_canonical) FROM posting_clusters) AS duplicates,
       (SELECT count(*) FROM unlinked_phrases) AS unlinked_phrases,
       (SELECT count(*) FROM credential_skills) AS credential_skills,
       (SELECT coalesce(sum(hash(credential_id, framework_id, skill_id)), 0)
        FROM credential_skills)                AS credential_skills_hash,
       CAST($min_level AS INTEGER)              AS sample_min_level,
       current_timestamp                        AS refreshed_at;
