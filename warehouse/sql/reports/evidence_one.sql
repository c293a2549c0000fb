-- Up to $per evidence snippets for one key (framework_id $framework, skill_id $skill; for
-- framework 'phrase' the normalised phrase): matched text and the description around it, from
-- filtered jobs posted from $from on. Any $per such jobs (the scan stops once it has them).
WITH fp AS (
    SELECT posting_id, description, posted_on
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on >= CAST($from AS DATE)
),
hits AS (
    SELECT ps.posting_id, ps.matched_text, ps.start_char, ps.end_char
    FROM posting_skills AS ps
    WHERE $framework <> 'phrase' AND ps.framework_id = $framework AND ps.skill_id = $skill
    UNION ALL
    SELECT u.posting_id, u.phrase, u.start_char, u.end_char
    FROM unlinked_phrases AS u
    WHERE $framework = 'phrase'
      AND lower(trim(regexp_replace(u.phrase, '\s+', ' ', 'g'))) = $skill
)
SELECT hits.posting_id, fp.posted_on, hits.matched_text, hits.start_char, hits.end_char,
       fp.description
FROM hits JOIN fp USING (posting_id)
LIMIT $per;
