-- The credential catalogue mapping now (compared with aggregates_state: the credential
-- aggregates are fresh only while it is unchanged).
SELECT count(*) AS credential_skills,
       coalesce(sum(hash(credential_id, framework_id, skill_id)), 0) AS credential_skills_hash
FROM credential_skills;
