-- Remove one framework's skills before a re-import.
DELETE FROM skills WHERE framework_id = $framework_id;
