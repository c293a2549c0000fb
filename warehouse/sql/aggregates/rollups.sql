-- The cell tables of refresh.sql summed to one dimension (or none), run once per grain by
-- lmi.warehouse.aggregates (identifiers only, from its ROLLUPS constant): {grain} is totals |
-- by_province | by_region | by_sector | by_noc2, {dims} the four dimension columns with NULL
-- where summed over (by_noc2 keeps the first 2 NOC digits), {first} what the table is
-- ordered by first. A report whose filter uses only that dimension reads the small table with
-- the same WHERE clauses (lmi.warehouse.reports.rollup_grain).
CREATE OR REPLACE TABLE skill_month_{grain} AS
SELECT framework_id, skill_id, month, {dims}, CAST(sum(postings) AS BIGINT) AS postings,
       CAST(sum(jobs) AS BIGINT) AS jobs
FROM skill_month_counts
GROUP BY ALL
ORDER BY {first}, month, framework_id, skill_id;

CREATE OR REPLACE TABLE posting_month_{grain} AS
SELECT month, {dims}, CAST(sum(postings) AS BIGINT) AS postings,
       CAST(sum(jobs) AS BIGINT) AS jobs,
       CAST(sum(jobs_with_skills) AS BIGINT) AS jobs_with_skills,
       min(first_posted) AS first_posted, max(last_posted) AS last_posted,
       list_distinct(flatten(list(extractor_versions))) AS extractor_versions
FROM posting_month_counts
GROUP BY ALL
ORDER BY {first}, month;

CREATE OR REPLACE TABLE phrase_month_{grain} AS
SELECT phrase, month, {dims}, CAST(sum(jobs) AS BIGINT) AS jobs
FROM phrase_month_counts
GROUP BY ALL
ORDER BY {first}, month, phrase;

CREATE OR REPLACE TABLE credential_month_{grain} AS
SELECT credential_id, month, {dims}, CAST(sum(jobs) AS BIGINT) AS jobs
FROM credential_month_counts
GROUP BY ALL
ORDER BY {first}, month, credential_id;
