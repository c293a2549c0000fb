-- Per credential: skills it is NOT mapped to that appear in the filtered jobs reaching it (jobs
-- mentioning one of its skills), with their jobs there and lift = share there / share overall.
-- Only the $per most frequent with lift >= $min_lift and at least $min_jobs jobs. Computed on
-- the jobs with hash(posting_id) % $sample_mod = 0 (a reproducible 1/$sample_mod sample; 1 =
-- every job) so that it stays fast on millions of jobs; lift is a ratio, so sampling keeps it.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE hash(posting_id) % $sample_mod = 0
),
total AS (SELECT count(*) AS n FROM fp),
pairs AS (
    SELECT DISTINCT ps.posting_id, ps.framework_id, ps.skill_id
    FROM posting_skills AS ps SEMI JOIN fp USING (posting_id)
),
overall AS (SELECT framework_id, skill_id, count(*) AS jobs FROM pairs GROUP BY ALL),
mapped AS (SELECT DISTINCT credential_id, framework_id, skill_id FROM credential_skills),
reached AS (
    SELECT DISTINCT mapped.credential_id, pairs.posting_id
    FROM mapped JOIN pairs USING (framework_id, skill_id)
),
reach AS (SELECT credential_id, count(*) AS n FROM reached GROUP BY ALL),
co AS (
    SELECT reached.credential_id, pairs.framework_id, pairs.skill_id, count(*) AS jobs
    FROM reached JOIN pairs USING (posting_id)
    ANTI JOIN mapped USING (credential_id, framework_id, skill_id)
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
