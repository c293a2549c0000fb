-- The best stored equivalent (rank 1) in $other_framework_id of each listed 'framework|skill' key.
SELECT e.framework_id, e.skill_id, s.preferred_label AS equivalent,
       e.other_skill_id AS equivalent_id, e.match AS equivalent_match,
       round(e.similarity, 3) AS equivalent_similarity
FROM skill_equivalents e
JOIN skills s ON s.framework_id = e.other_framework_id AND s.skill_id = e.other_skill_id
WHERE e.other_framework_id = $other_framework_id AND e.rank = 1
  AND list_contains($keys::VARCHAR[], e.framework_id || '|' || e.skill_id);
