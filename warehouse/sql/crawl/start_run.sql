-- Open a crawl_runs row. Params: run_id, source_id, started_at.
INSERT INTO crawl_runs (run_id, source_id, started_at, status) VALUES (?, ?, ?, 'running');
