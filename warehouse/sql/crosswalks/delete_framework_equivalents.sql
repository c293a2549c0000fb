-- A framework's skills changed: drop every stored equivalent that involves it.
DELETE FROM skill_equivalents
WHERE framework_id = $framework_id OR other_framework_id = $framework_id;
