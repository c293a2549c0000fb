-- Up to $per evidence snippets for each key of $keys ('framework_id|skill_id'; for framework
-- 'phrase' the normalised phrase): matched text and the description around it, from filtered
-- jobs posted from $from on; per key the jobs with the smallest posting_id (one query for all
-- keys). $phrases: whether any key is a phrase (else unlinked_phrases is not read).
WITH wanted AS (SELECT * FROM key_table($keys)),
fp AS (
    SELECT posting_id, posted_on
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on >= CAST($from AS DATE)
),
hits AS (
    SELECT w.key, ps.posting_id, ps.matched_text, ps.start_char, ps.end_char
    FROM posting_skills AS ps JOIN wanted AS w USING (framework_id, skill_id)
    UNION ALL
    SELECT w.key, u.posting_id, u.phrase, u.start_char, u.end_char
    FROM (SELECT *, lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))) AS normalised
          FROM unlinked_phrases WHERE $phrases) AS u
    JOIN wanted AS w ON w.framework_id = 'phrase' AND w.skill_id = u.normalised
),
ranked AS (
    SELECT hits.*, fp.posted_on,
           row_number() OVER (PARTITION BY hits.key
                              ORDER BY hits.posting_id, hits.start_char, hits.end_char) AS rn
    FROM hits JOIN fp USING (posting_id)
    QUALIFY rn <= $per
)
SELECT r.key, r.posting_id, r.posted_on, r.matched_text, r.start_char, r.end_char,
       p.description
FROM ranked AS r JOIN postings AS p USING (posting_id)
ORDER BY r.key, r.rn;
