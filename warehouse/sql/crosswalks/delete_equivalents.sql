-- Remove the stored equivalents between two frameworks (both directions) before recomputing.
DELETE FROM skill_equivalents
WHERE (framework_id = $framework_a AND other_framework_id = $framework_b)
   OR (framework_id = $framework_b AND other_framework_id = $framework_a);
