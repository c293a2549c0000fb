-- evidence.sql for any filter from the job-level aggregates (fresh, whole months): the same
-- rows. The first $per filtered jobs mentioning a skill (job numbers follow posting_id) hold its
-- first $per matches, so posting_skills is read for those postings only. Phrases as in
-- evidence.sql, on the filtered jobs of job_index.
WITH wanted AS (SELECT * FROM key_table($keys)),
fj AS (
    SELECT job, posting_id
    FROM job_index
    WHERE month >= CAST($from AS DATE)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
first_jobs AS (
    SELECT w.key, w.framework_id, w.skill_id, j.job
    FROM job_skills AS j
    JOIN skill_codes AS k USING (skill)
    JOIN wanted AS w USING (framework_id, skill_id)
    WHERE j.month >= CAST($from AS DATE)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    QUALIFY row_number() OVER (PARTITION BY w.key ORDER BY j.job) <= $per
),
candidates AS (
    SELECT f.key, f.framework_id, f.skill_id, fj.posting_id
    FROM first_jobs AS f JOIN fj USING (job)
),
hits AS (
    SELECT c.key, ps.posting_id, ps.matched_text, ps.start_char, ps.end_char
    FROM posting_skills AS ps JOIN candidates AS c USING (posting_id, framework_id, skill_id)
    UNION ALL
    SELECT w.key, u.posting_id, u.phrase, u.start_char, u.end_char
    FROM (SELECT *, lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))) AS normalised
          FROM unlinked_phrases WHERE $phrases) AS u
    JOIN wanted AS w ON w.framework_id = 'phrase' AND w.skill_id = u.normalised
    SEMI JOIN fj USING (posting_id)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY key
                                 ORDER BY posting_id, start_char, end_char) AS rn
    FROM hits
    QUALIFY rn <= $per
)
SELECT r.key, r.posting_id, coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on,
       r.matched_text, r.start_char, r.end_char, p.description
FROM ranked AS r JOIN postings AS p USING (posting_id)
ORDER BY r.key, r.rn;
