-- The skill codes each credential is mapped to (mapped skills no job mentions have no code).
SELECT DISTINCT cs.credential_id, k.skill
FROM credential_skills AS cs JOIN skill_codes AS k USING (framework_id, skill_id)
ORDER BY 1, 2;
