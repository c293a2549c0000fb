-- Every catalogue credential x each framework skill it is mapped to, with that skill's share
-- of the filtered postings (0 when no filtered posting mentions it). Credentials with no mapped
-- skill appear once with NULL skill.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
total AS (SELECT count(*) AS n FROM fp),
demand AS (
    SELECT ps.framework_id, ps.skill_id, count(DISTINCT ps.posting_id) AS postings
    FROM posting_skills AS ps JOIN fp USING (posting_id)
    GROUP BY ALL
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills)
SELECT m.credential_id,
       m.title,
       m.provider,
       mapped.framework_id,
       mapped.skill_id,
       coalesce(s.preferred_label, mapped.skill_id)           AS label,
       coalesce(demand.postings, 0)                           AS postings,
       coalesce(demand.postings, 0) / nullif(total.n, 0)      AS share
FROM microcredentials AS m
CROSS JOIN total
LEFT JOIN mapped USING (credential_id)
LEFT JOIN demand USING (framework_id, skill_id)
LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY m.title, m.credential_id, share DESC NULLS LAST, label;
