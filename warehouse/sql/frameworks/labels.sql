-- A framework's skills with their labels, in a stable order (grouped by skill).
SELECT skill_id, preferred_label, alt_labels
FROM skills
WHERE framework_id = $framework_id
ORDER BY skill_id;
