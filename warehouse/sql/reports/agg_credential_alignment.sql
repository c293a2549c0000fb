-- credential_alignment.sql from skill_month_counts (valid when the dates are whole months).
WITH total AS (
    SELECT coalesce(sum(jobs), 0) AS n FROM posting_month_counts
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
demand AS (
    SELECT framework_id, skill_id, sum(jobs) AS postings
    FROM skill_month_counts SEMI JOIN mapped USING (framework_id, skill_id)
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY ALL
)
SELECT m.credential_id, m.title, m.provider, mapped.framework_id, mapped.skill_id,
       coalesce(s.preferred_label, mapped.skill_id)           AS label,
       CAST(coalesce(demand.postings, 0) AS BIGINT)           AS postings,
       coalesce(demand.postings, 0) / nullif(total.n, 0)      AS share
FROM microcredentials AS m
CROSS JOIN total
LEFT JOIN mapped USING (credential_id)
LEFT JOIN demand USING (framework_id, skill_id)
LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY m.title, m.credential_id, share DESC NULLS LAST, label;
