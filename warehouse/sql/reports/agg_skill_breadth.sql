-- skill_breadth.sql from the cell tables (whole months). Provinces are counted on the
-- *_by_province roll-ups and sectors on *_by_sector; with a place, sector or occupation filter
-- lmi.warehouse.reports reads both from the full *_counts cells instead.
WITH wanted AS (SELECT * FROM key_table($keys)),
cells AS (
    SELECT 'p' AS part, key, month, province, economic_region, naics_sector, noc_code, jobs
    FROM skill_month_by_province JOIN wanted USING (framework_id, skill_id)
    UNION ALL
    SELECT 's', key, month, province, economic_region, naics_sector, noc_code, jobs
    FROM skill_month_by_sector JOIN wanted USING (framework_id, skill_id)
    UNION ALL
    SELECT 'p', 'phrase|' || phrase, month, province, economic_region, naics_sector, noc_code,
           jobs
    FROM phrase_month_by_province WHERE 'phrase|' || phrase IN (SELECT key FROM wanted)
    UNION ALL
    SELECT 's', 'phrase|' || phrase, month, province, economic_region, naics_sector, noc_code,
           jobs
    FROM phrase_month_by_sector WHERE 'phrase|' || phrase IN (SELECT key FROM wanted)
),
kept AS (
    SELECT key, month, CASE WHEN part = 'p' THEN province END AS province,
           CASE WHEN part = 's' THEN naics_sector END AS naics_sector
    FROM cells
    WHERE jobs > 0 AND month >= CAST($prior_from AS DATE)
      AND in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
)
SELECT key,
       count(DISTINCT province) FILTER (WHERE month >= CAST($recent_from AS DATE))
           AS provinces_recent,
       count(DISTINCT province) FILTER (WHERE month < CAST($recent_from AS DATE))
           AS provinces_prior,
       count(DISTINCT naics_sector) FILTER (WHERE month >= CAST($recent_from AS DATE))
           AS sectors_recent,
       count(DISTINCT naics_sector) FILTER (WHERE month < CAST($recent_from AS DATE))
           AS sectors_prior
FROM kept
GROUP BY key;
