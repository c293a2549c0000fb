-- Runs still 'running' when a new run starts were killed (one writer per warehouse file):
-- mark them failed. Param: $now.
UPDATE crawl_runs SET status = 'failed', finished_at = $now
WHERE status = 'running';
