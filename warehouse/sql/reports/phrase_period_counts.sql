-- Out-of-framework phrases (unlinked_phrases, normalised: lower case, single spaces) per
-- calendar month: filtered jobs using them, from month $from on. Only phrases used in at
-- least $min_total jobs over the months shown.
WITH fp AS (
    SELECT posting_id, date_trunc('month', posted_on) AS month
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
    WHERE posted_on >= CAST($from AS DATE)
),
phrases AS (
    SELECT DISTINCT posting_id, lower(trim(regexp_replace(phrase, '\s+', ' ', 'g'))) AS phrase
    FROM unlinked_phrases
),
hits AS (
    SELECT phrase, month, count(*) AS jobs FROM phrases JOIN fp USING (posting_id) GROUP BY ALL
),
kept AS (SELECT phrase FROM hits GROUP BY phrase HAVING sum(jobs) >= $min_total)
SELECT 'phrase' AS framework_id, phrase AS skill_id, phrase AS label,
       CAST(month AS DATE) AS month, jobs
FROM hits SEMI JOIN kept USING (phrase)
ORDER BY 2, 4;
