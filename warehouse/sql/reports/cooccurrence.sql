-- Pairs of the given skills ($keys: 'framework_id|skill_id') mentioned in the same filtered
-- job, with the number of such jobs (pairs in fewer than $min_pair jobs left out).
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
hits AS (
    SELECT DISTINCT ps.posting_id, ps.framework_id || '|' || ps.skill_id AS key
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    SEMI JOIN fp USING (posting_id)
)
SELECT a.key AS key_a, b.key AS key_b, count(*) AS jobs
FROM hits AS a JOIN hits AS b ON a.posting_id = b.posting_id AND a.key < b.key
GROUP BY ALL
HAVING count(*) >= $min_pair
ORDER BY key_a, key_b;
