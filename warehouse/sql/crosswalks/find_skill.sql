-- A framework's skill by id, or by preferred / alternative label (case-insensitive).
SELECT skill_id, preferred_label, alt_labels, description, skill_type, collections
FROM skills
WHERE framework_id = $framework_id
  AND (skill_id = $query OR lower(preferred_label) = lower($query)
       OR list_contains(list_transform(alt_labels, lambda x: lower(x)), lower($query)))
ORDER BY skill_id = $query DESC, lower(preferred_label) = lower($query) DESC, skill_id
LIMIT 1;
