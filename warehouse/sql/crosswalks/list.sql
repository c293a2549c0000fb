-- Loaded occupation crosswalks with their size and how many codes exist in the frameworks.
SELECT c.crosswalk_id, c.source_framework, c.target_framework, count(*) AS pairs,
       count(DISTINCT c.source_code) AS source_codes,
       count(DISTINCT c.source_code) FILTER (WHERE s.occupation_code IS NOT NULL)
           AS source_codes_with_skills,
       count(DISTINCT c.target_code) AS target_codes,
       count(DISTINCT c.target_code) FILTER (WHERE t.occupation_code IS NOT NULL)
           AS target_codes_with_skills
FROM occupation_crosswalks c
LEFT JOIN (SELECT DISTINCT framework_id, occupation_code FROM framework_occupation_skills) s
       ON s.framework_id = c.source_framework AND s.occupation_code = c.source_code
LEFT JOIN (SELECT DISTINCT framework_id, occupation_code FROM framework_occupation_skills) t
       ON t.framework_id = c.target_framework AND t.occupation_code = c.target_code
GROUP BY ALL
ORDER BY c.crosswalk_id;
