-- The version of one loaded framework (no row when it is not loaded).
SELECT version FROM frameworks WHERE framework_id = $framework_id;
