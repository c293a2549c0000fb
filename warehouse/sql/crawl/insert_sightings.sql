-- One sighting per posting per run. Params: posting_keys[], source_id, run_id, seen_at[].
INSERT INTO posting_sightings (posting_key, source_id, run_id, seen_at)
SELECT unnest(?::VARCHAR[]), ?, ?, unnest(?::TIMESTAMP[])
ON CONFLICT (posting_key, run_id) DO NOTHING;
