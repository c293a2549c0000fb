-- Register (or refresh) a crawled source. Params: source_id, family, name, start_urls, config.
INSERT INTO sources (source_id, family, name, start_urls, config)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (source_id) DO UPDATE SET
    start_urls = excluded.start_urls,
    config = excluded.config;
