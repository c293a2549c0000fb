-- Every skill code of job_skills with its key, the rank of its skill_id (ties in
-- credential_coskills.sql are broken by skill_id) and its label.
SELECT k.skill, k.framework_id, k.skill_id, k.id_rank,
       coalesce(s.preferred_label, k.skill_id) AS label
FROM skill_codes AS k LEFT JOIN skills AS s USING (framework_id, skill_id)
ORDER BY k.skill;
