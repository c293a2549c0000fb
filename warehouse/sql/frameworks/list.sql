-- Loaded frameworks, most recently imported first.
SELECT framework_id AS id, name, version, skill_count AS skills, imported_at, source_path
FROM frameworks
ORDER BY imported_at DESC, framework_id;
