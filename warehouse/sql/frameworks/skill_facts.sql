-- What a framework itself says about each of its skills: how many occupations list it as
-- essential (O*NET: as a technology) or optional, its reuse level and its type. The acceptance
-- model reads these as a prior that exists for every skill (lmi.nlp.acceptance).
SELECT s.skill_id,
       count(o.skill_id) FILTER (WHERE o.relation IN ('essential', 'technology', 'hot_technology'))
           AS essential_occupations,
       count(o.skill_id) FILTER (WHERE o.relation = 'optional') AS optional_occupations,
       coalesce(s.reuse_level, '') AS reuse_level,
       coalesce(s.skill_type, '') AS skill_type
FROM skills AS s
LEFT JOIN framework_occupation_skills AS o
    ON o.framework_id = s.framework_id AND o.skill_id = s.skill_id
WHERE s.framework_id = $framework_id
GROUP BY s.skill_id, s.reuse_level, s.skill_type;
