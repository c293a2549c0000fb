-- The stored equivalents of one skill in every other loaded framework, best first.
SELECT e.other_framework_id AS framework, e.other_skill_id AS skill_id,
       s.preferred_label AS label, e.match, round(e.similarity, 3) AS similarity,
       e.matched_label, e.other_matched_label,
       e.shared_occupations, e.occupations, s.collections
FROM skill_equivalents e
JOIN skills s ON s.framework_id = e.other_framework_id AND s.skill_id = e.other_skill_id
WHERE e.framework_id = $framework_id AND e.skill_id = $skill_id
ORDER BY e.other_framework_id, e.rank;
