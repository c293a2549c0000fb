-- Which of these raw_ids are already stored. Param: list of raw_ids.
SELECT raw_id FROM raw_postings WHERE raw_id IN (SELECT unnest(?::VARCHAR[]));
