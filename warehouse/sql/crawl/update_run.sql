-- Write a crawl run's counters (called after every batch and at the end).
UPDATE crawl_runs SET
    finished_at = $finished_at,
    status = $status,
    pages_fetched = $pages_fetched,
    postings_seen = $postings_seen,
    postings_new = $postings_new,
    postings_changed = $postings_changed,
    postings_unchanged = $postings_unchanged,
    postings_invalid = $postings_invalid,
    pages_without_jsonld = $pages_without_jsonld,
    errors = $errors,
    not_modified = $not_modified,
    bodies_fetched = $bodies_fetched,
    problems = $problems,
    workers = $workers
WHERE run_id = $run_id;
