-- evidence.sql from evidence_month_firsts: national only (no place, sector or occupation
-- filter), whole months, per <= 3; same rows in the same order.
WITH wanted AS (SELECT * FROM key_table($keys)),
candidates AS (
    SELECT w.key, unnest(e.firsts, recursive := true)
    FROM evidence_month_firsts AS e JOIN wanted AS w USING (framework_id, skill_id)
    WHERE e.month >= CAST($from AS DATE)
      AND ($since IS NULL OR e.month >= CAST($since AS DATE))
      AND ($until IS NULL OR e.month <= CAST($until AS DATE))
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY key
                                 ORDER BY posting_id, start_char, end_char) AS rn
    FROM candidates
    QUALIFY rn <= $per
)
SELECT r.key, r.posting_id, coalesce(p.date_posted, CAST(p.first_seen AS DATE)) AS posted_on,
       r.matched_text, r.start_char, r.end_char, p.description
FROM ranked AS r JOIN postings AS p USING (posting_id)
ORDER BY r.key, r.rn;
