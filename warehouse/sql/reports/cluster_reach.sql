-- Filtered jobs that mention at least 2 of the given skills ($keys), and where they are:
-- the top occupations (noc_code) and sectors (naics_sector) with their job counts.
WITH fp AS (
    SELECT posting_id, noc_code, naics_sector
    FROM filtered_postings($province, $economic_region, $sector, $noc_prefix, $since, $until)
),
hits AS (
    SELECT ps.posting_id
    FROM posting_skills AS ps
    JOIN key_table($keys) AS kt USING (framework_id, skill_id)
    GROUP BY ps.posting_id
    HAVING count(DISTINCT ps.framework_id || '|' || ps.skill_id) >= 2
),
jobs AS (SELECT fp.* FROM fp SEMI JOIN hits USING (posting_id)),
occupations AS (
    SELECT noc_code AS code, count(*) AS jobs FROM jobs WHERE noc_code IS NOT NULL
    GROUP BY ALL ORDER BY jobs DESC, code LIMIT 5
),
sectors AS (
    SELECT naics_sector AS code, count(*) AS jobs FROM jobs WHERE naics_sector IS NOT NULL
    GROUP BY ALL ORDER BY jobs DESC, code LIMIT 5
)
SELECT (SELECT count(*) FROM jobs) AS jobs,
       (SELECT list({'code': o.code, 'title': n.title, 'jobs': o.jobs} ORDER BY o.jobs DESC, o.code)
        FROM occupations AS o LEFT JOIN ref_noc AS n ON n.code = o.code) AS occupations,
       (SELECT list({'code': s.code, 'title': r.title, 'jobs': s.jobs} ORDER BY s.jobs DESC, s.code)
        FROM sectors AS s LEFT JOIN ref_naics AS r ON r.code = s.code) AS sectors;
