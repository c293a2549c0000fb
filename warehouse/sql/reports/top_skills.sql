-- Skills mentioned in the most filtered jobs. postings = every posting mentioning the skill
-- (duplicates included), jobs = unique jobs (canonical postings), share = jobs / all filtered
-- jobs. $framework NULL = every framework; $limit NULL = every skill.
WITH fp AS (
    SELECT posting_id, is_canonical
    FROM scoped_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
total AS (SELECT count(*) FILTER (WHERE is_canonical) AS jobs FROM fp),
pairs AS (
    SELECT DISTINCT ps.posting_id, ps.framework_id, ps.skill_id
    FROM posting_skills AS ps
    WHERE $framework IS NULL OR ps.framework_id = $framework
),
counts AS (
    SELECT framework_id, skill_id, count(*) AS postings,
           count(*) FILTER (WHERE is_canonical) AS jobs
    FROM pairs JOIN fp USING (posting_id)
    GROUP BY ALL
)
SELECT c.framework_id,
       c.skill_id,
       coalesce(s.preferred_label, c.skill_id) AS label,
       s.skill_type,
       c.postings,
       c.jobs,
       c.jobs / nullif(total.jobs, 0)          AS share
FROM counts AS c
CROSS JOIN total
LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY c.jobs DESC, c.postings DESC, label, c.skill_id
LIMIT $limit;
