-- A posting whose validThrough has passed is expired at that moment.
UPDATE postings SET expired_at = valid_through
WHERE expired_at IS NULL AND valid_through IS NOT NULL AND valid_through < $now;
