-- For every given skill ($keys: 'framework_id|skill_id'): which catalogue credentials teach it
-- (covered_by) and which teach a sibling under a *specific* parent (related_by, as
-- 'Credential (via taught skill)'). A parent is specific when it is not a top-level group
-- (it has a parent of its own, or is not itself a skill of the framework) and has at most
-- $max_siblings children. Empty lists when none.
WITH children AS (
    SELECT framework_id, parent_id, count(*) AS n
    FROM skills WHERE parent_id IS NOT NULL GROUP BY ALL
),
specific AS (
    SELECT c.framework_id, c.parent_id
    FROM children AS c
    LEFT JOIN skills AS p ON p.framework_id = c.framework_id AND p.skill_id = c.parent_id
    WHERE c.n <= $max_siblings AND (p.skill_id IS NULL OR p.parent_id IS NOT NULL)
),
demanded AS (
    SELECT DISTINCT d.framework_id, d.skill_id, s.parent_id
    FROM (SELECT framework_id, skill_id FROM key_table($keys)) AS d
    LEFT JOIN skills AS s USING (framework_id, skill_id)
),
taught AS (
    SELECT DISTINCT cs.framework_id, cs.skill_id, s.parent_id, m.title,
           coalesce(s.preferred_label, cs.skill_id) AS label
    FROM credential_skills AS cs
    JOIN microcredentials AS m USING (credential_id)
    LEFT JOIN skills AS s USING (framework_id, skill_id)
),
covered AS (
    SELECT d.framework_id, d.skill_id, list_sort(list(DISTINCT t.title)) AS titles
    FROM demanded AS d JOIN taught AS t USING (framework_id, skill_id)
    GROUP BY ALL
),
related AS (
    SELECT d.framework_id, d.skill_id,
           list_sort(list(DISTINCT t.title || ' (via ' || t.label || ')')) AS titles
    FROM demanded AS d
    JOIN specific AS sp ON sp.framework_id = d.framework_id AND sp.parent_id = d.parent_id
    JOIN taught AS t ON t.framework_id = d.framework_id AND t.parent_id = d.parent_id
                    AND t.skill_id <> d.skill_id
    GROUP BY ALL
)
SELECT d.framework_id, d.skill_id, d.parent_id,
       coalesce(covered.titles, [])  AS covered_by,
       coalesce(related.titles, [])  AS related_by
FROM demanded AS d
LEFT JOIN covered USING (framework_id, skill_id)
LEFT JOIN related USING (framework_id, skill_id);
