-- For every skill mentioned in the filtered postings: which catalogue credentials teach it
-- (covered_by) and which teach a skill next to it in the framework hierarchy (related_by:
-- same parent, or its parent, or its child), as 'Credential (via taught skill)'. Empty lists
-- when none.
WITH fp AS (
    SELECT posting_id
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
demanded AS (
    SELECT DISTINCT ps.framework_id, ps.skill_id, s.parent_id
    FROM posting_skills AS ps
    JOIN fp USING (posting_id)
    LEFT JOIN skills AS s USING (framework_id, skill_id)
),
taught AS (
    SELECT DISTINCT cs.framework_id, cs.skill_id, s.parent_id, m.title,
           coalesce(s.preferred_label, cs.skill_id) AS label
    FROM credential_skills AS cs
    JOIN microcredentials AS m USING (credential_id)
    LEFT JOIN skills AS s USING (framework_id, skill_id)
)
SELECT d.framework_id,
       d.skill_id,
       d.parent_id,
       coalesce((SELECT list_sort(list(DISTINCT t.title)) FROM taught AS t
                 WHERE t.framework_id = d.framework_id AND t.skill_id = d.skill_id),
                [])                                                     AS covered_by,
       coalesce((SELECT list_sort(list(DISTINCT t.title || ' (via ' || t.label || ')'))
                 FROM taught AS t
                 WHERE t.framework_id = d.framework_id AND t.skill_id <> d.skill_id
                   AND (t.parent_id = d.parent_id
                        OR t.parent_id = d.skill_id
                        OR t.skill_id = d.parent_id)),
                [])                                                     AS related_by
FROM demanded AS d;
