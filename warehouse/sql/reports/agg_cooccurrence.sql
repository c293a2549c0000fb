-- cooccurrence.sql from job_skills (fresh aggregates, whole months): the same pairs.
WITH wanted AS (
    SELECT k.skill, kt.key
    FROM key_table($keys) AS kt JOIN skill_codes AS k USING (framework_id, skill_id)
),
hits AS (
    SELECT j.job, w.key
    FROM job_skills AS j JOIN wanted AS w USING (skill)
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
)
SELECT a.key AS key_a, b.key AS key_b, count(*) AS jobs
FROM hits AS a JOIN hits AS b ON a.job = b.job AND a.key < b.key
GROUP BY ALL
HAVING count(*) >= $min_pair
ORDER BY key_a, key_b;
