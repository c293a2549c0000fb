-- Remove one framework's occupation -> skill relations before a re-import.
DELETE FROM framework_occupation_skills WHERE framework_id = $framework_id;
