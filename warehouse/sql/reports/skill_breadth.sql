-- For the given keys ('framework_id|skill_id', or 'phrase|text' for unlinked phrases): in how
-- many provinces and sectors the filtered jobs mentioning it were posted, in the recent window
-- (posted_on >= $recent_from) and in the window of the same length before it ($prior_from on).
WITH fp AS (
    SELECT posting_id, province, naics_sector, posted_on
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on >= CAST($prior_from AS DATE)
),
hits AS (
    SELECT ps.framework_id || '|' || ps.skill_id AS key, ps.posting_id
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    UNION
    SELECT 'phrase|' || lower(trim(regexp_replace(u.phrase, '\s+', ' ', 'g'))), u.posting_id
    FROM unlinked_phrases AS u
    WHERE 'phrase|' || lower(trim(regexp_replace(u.phrase, '\s+', ' ', 'g')))
          IN (SELECT unnest($keys))
)
SELECT key,
       count(DISTINCT province) FILTER (WHERE posted_on >= CAST($recent_from AS DATE))
           AS provinces_recent,
       count(DISTINCT province) FILTER (WHERE posted_on < CAST($recent_from AS DATE))
           AS provinces_prior,
       count(DISTINCT naics_sector) FILTER (WHERE posted_on >= CAST($recent_from AS DATE))
           AS sectors_recent,
       count(DISTINCT naics_sector) FILTER (WHERE posted_on < CAST($recent_from AS DATE))
           AS sectors_prior
FROM hits JOIN fp USING (posting_id)
GROUP BY key;
