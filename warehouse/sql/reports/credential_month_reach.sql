-- Per credential per calendar month (from $from on; NULL = all): filtered jobs mentioning one
-- or more skills the credential is mapped to (undated jobs are left out).
WITH fp AS (
    SELECT posting_id, date_trunc('month', posted_on) AS month
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE $from IS NULL OR posted_on >= CAST($from AS DATE)
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
reached AS (
    SELECT DISTINCT mapped.credential_id, ps.posting_id
    FROM mapped JOIN posting_skills AS ps USING (framework_id, skill_id)
)
SELECT credential_id, CAST(month AS DATE) AS month, count(*) AS jobs
FROM reached JOIN fp USING (posting_id)
GROUP BY ALL ORDER BY 1, 2;
