-- Record (or replace) a framework and how many skills it holds.
INSERT OR REPLACE INTO frameworks (framework_id, name, version, source_path, imported_at, skill_count)
SELECT $framework_id, $name, $version, $source_path, current_timestamp,
       (SELECT count(*) FROM skills WHERE framework_id = $framework_id);
