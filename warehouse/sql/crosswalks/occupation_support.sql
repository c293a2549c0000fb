-- For candidate skill pairs (a in $framework_a, b in $framework_b): how many occupations of A
-- that ask for a map (through any loaded crosswalk, either direction) to an occupation of B that
-- asks for b, and how many crosswalked occupations of A ask for a at all.
WITH pairs AS (
    SELECT DISTINCT unnest($skill_a::VARCHAR[]) AS skill_a, unnest($skill_b::VARCHAR[]) AS skill_b
), walk AS (
    SELECT source_code AS code_a, target_code AS code_b FROM occupation_crosswalks
    WHERE source_framework = $framework_a AND target_framework = $framework_b
    UNION
    SELECT target_code, source_code FROM occupation_crosswalks
    WHERE source_framework = $framework_b AND target_framework = $framework_a
), occ_a AS (
    SELECT DISTINCT o.skill_id, o.occupation_code
    FROM framework_occupation_skills o
    WHERE o.framework_id = $framework_a
      AND o.skill_id IN (SELECT skill_a FROM pairs)
      AND o.occupation_code IN (SELECT code_a FROM walk)
), shared AS (
    SELECT p.skill_a, p.skill_b, count(DISTINCT a.occupation_code) AS shared_occupations
    FROM pairs p
    JOIN occ_a a ON a.skill_id = p.skill_a
    JOIN walk w ON w.code_a = a.occupation_code
    JOIN framework_occupation_skills o
      ON o.framework_id = $framework_b AND o.occupation_code = w.code_b
     AND o.skill_id = p.skill_b
    GROUP BY p.skill_a, p.skill_b
), totals AS (
    SELECT skill_id, count(*) AS occupations FROM occ_a GROUP BY skill_id
)
SELECT p.skill_a, p.skill_b, coalesce(s.shared_occupations, 0) AS shared_occupations,
       coalesce(t.occupations, 0) AS occupations
FROM pairs p
LEFT JOIN shared s ON s.skill_a = p.skill_a AND s.skill_b = p.skill_b
LEFT JOIN totals t ON t.skill_id = p.skill_a;
