-- Skills mentioned in the most filtered postings, with their share of those postings.
-- $framework NULL = every framework.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
total AS (SELECT count(*) AS n FROM fp),
counts AS (
    SELECT ps.framework_id, ps.skill_id, count(DISTINCT ps.posting_id) AS postings
    FROM posting_skills AS ps JOIN fp USING (posting_id)
    WHERE $framework IS NULL OR ps.framework_id = $framework
    GROUP BY ALL
)
SELECT c.framework_id,
       c.skill_id,
       coalesce(s.preferred_label, c.skill_id) AS label,
       s.skill_type,
       c.postings,
       c.postings / nullif(total.n, 0)          AS share
FROM counts AS c
CROSS JOIN total
LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY c.postings DESC, label, c.skill_id
LIMIT $limit;
