-- Which of these posting_keys already have a stored version. Param: list of posting_keys.
SELECT DISTINCT posting_key FROM raw_postings WHERE posting_key IN (SELECT unnest(?::VARCHAR[]));
