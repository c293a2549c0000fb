-- Bulk insert one framework's occupation -> skill relations (parallel lists), known skills only.
INSERT INTO framework_occupation_skills (framework_id, occupation_code, skill_id, relation)
SELECT DISTINCT $framework_id, r.occupation_code, r.skill_id, r.relation
FROM (SELECT unnest($occupation_code::VARCHAR[]) AS occupation_code,
             unnest($skill_id::VARCHAR[]) AS skill_id,
             unnest($relation::VARCHAR[]) AS relation) AS r
JOIN skills s ON s.framework_id = $framework_id AND s.skill_id = r.skill_id;
