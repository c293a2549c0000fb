-- cluster_reach.sql from job_skills (fresh aggregates, whole months): the same answer.
WITH wanted AS (
    SELECT k.skill, kt.key
    FROM key_table($keys) AS kt JOIN skill_codes AS k USING (framework_id, skill_id)
),
jobs AS (
    SELECT j.job, any_value(j.noc_code) AS noc_code, any_value(j.naics_sector) AS naics_sector
    FROM job_skills AS j JOIN wanted AS w USING (skill)
    WHERE in_filter($province, $economic_region, $sector, $noc_prefix, $since, $until)
    GROUP BY j.job
    HAVING count(DISTINCT w.key) >= 2
),
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
