-- Per credential: filtered postings that mention at least one skill it is mapped to.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills)
SELECT mapped.credential_id, count(DISTINCT ps.posting_id) AS postings_reached
FROM mapped
JOIN posting_skills AS ps USING (framework_id, skill_id)
JOIN fp USING (posting_id)
GROUP BY ALL;
