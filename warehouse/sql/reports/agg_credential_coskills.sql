-- credential_coskills.sql from the sampled credential aggregates: national only (no place,
-- sector or occupation filter), whole months, sample_mod = 2^min_level with level 2..8
-- (a job's level is the largest l with hash(posting_id) % 2^l = 0).
WITH total AS (
    SELECT CAST(sum(jobs) AS BIGINT) AS n FROM sample_jobs
    WHERE level >= $min_level
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
),
overall AS (
    SELECT framework_id, skill_id, CAST(sum(jobs) AS BIGINT) AS jobs FROM sample_skill_counts
    WHERE level >= $min_level
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
    GROUP BY ALL
),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
reach AS (
    SELECT credential_id, CAST(sum(jobs) AS BIGINT) AS n FROM credential_sample_reach
    WHERE level >= $min_level
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
    GROUP BY ALL
),
co AS (
    SELECT c.credential_id, c.framework_id, c.skill_id, CAST(sum(c.jobs) AS BIGINT) AS jobs
    FROM credential_coskill_counts AS c
    ANTI JOIN mapped USING (credential_id, framework_id, skill_id)
    WHERE c.level >= $min_level
      AND ($since IS NULL OR c.month >= CAST($since AS DATE))
      AND ($until IS NULL OR c.month <= CAST($until AS DATE))
    GROUP BY ALL
),
scored AS (
    SELECT co.*, (co.jobs / reach.n) / (overall.jobs / total.n) AS lift,
           row_number() OVER (PARTITION BY co.credential_id ORDER BY co.jobs DESC,
                              co.skill_id) AS rn
    FROM co JOIN reach USING (credential_id) JOIN overall USING (framework_id, skill_id)
    CROSS JOIN total
    WHERE co.jobs >= $min_jobs AND (co.jobs / reach.n) / (overall.jobs / total.n) >= $min_lift
)
SELECT scored.credential_id, scored.framework_id, scored.skill_id,
       coalesce(s.preferred_label, scored.skill_id) AS label, scored.jobs, scored.lift
FROM scored LEFT JOIN skills AS s USING (framework_id, skill_id)
WHERE rn <= $per
ORDER BY credential_id, rn;
