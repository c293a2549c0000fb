-- Stored equivalents from one framework to another, optionally one match class, best first.
SELECT e.skill_id, a.preferred_label AS label, e.rank, e.other_skill_id,
       b.preferred_label AS other_label, e.match, round(e.similarity, 3) AS similarity,
       e.matched_label, e.other_matched_label,
       e.shared_occupations, e.occupations
FROM skill_equivalents e
JOIN skills a ON a.framework_id = e.framework_id AND a.skill_id = e.skill_id
JOIN skills b ON b.framework_id = e.other_framework_id AND b.skill_id = e.other_skill_id
WHERE e.framework_id = $framework_id AND e.other_framework_id = $other_framework_id
  AND ($match IS NULL OR e.match = $match)
  AND e.rank <= $max_rank
ORDER BY e.similarity DESC, e.shared_occupations DESC, a.preferred_label, e.rank
LIMIT $limit;
