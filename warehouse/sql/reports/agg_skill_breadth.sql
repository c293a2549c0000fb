-- skill_breadth.sql from skill_month_counts / phrase_month_counts (whole months).
WITH cells AS (
    SELECT framework_id || '|' || skill_id AS key, month, province, naics_sector
    FROM skill_month_counts JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    WHERE jobs > 0 AND month >= CAST($prior_from AS DATE)
      AND ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
    UNION ALL
    SELECT 'phrase|' || phrase, month, province, naics_sector
    FROM phrase_month_counts
    WHERE jobs > 0 AND month >= CAST($prior_from AS DATE)
      AND 'phrase|' || phrase IN (SELECT unnest($keys))
      AND ($province IS NULL OR province = $province)
      AND ($economic_region IS NULL OR economic_region = $economic_region)
      AND ($sector IS NULL OR naics_sector = $sector)
      AND ($noc_prefix IS NULL OR starts_with(noc_code, $noc_prefix))
      AND ($since IS NULL OR month >= CAST($since AS DATE))
      AND ($until IS NULL OR month <= CAST($until AS DATE))
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
FROM cells
GROUP BY key;
