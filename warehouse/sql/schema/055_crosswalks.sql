-- Which skills each occupation of a framework asks for: ESCO occupationSkillRelations
-- (essential / optional) and O*NET technologies per O*NET-SOC code (technology / hot_technology).
CREATE TABLE IF NOT EXISTS framework_occupation_skills (
    framework_id    VARCHAR NOT NULL,
    occupation_code VARCHAR NOT NULL,           -- ESCO occupation URI | O*NET-SOC code
    skill_id        VARCHAR NOT NULL,
    relation        VARCHAR                     -- essential | optional | technology | hot_technology
);
-- Occupation crosswalks between the occupation codes of two frameworks (ESCO -> O*NET-SOC).
CREATE TABLE IF NOT EXISTS occupation_crosswalks (
    crosswalk_id    VARCHAR NOT NULL,           -- the file it came from, e.g. esco_onet_crosswalk_MCC
    source_framework VARCHAR NOT NULL,
    source_code     VARCHAR NOT NULL,
    target_framework VARCHAR NOT NULL,
    target_code     VARCHAR NOT NULL,
    confidence      DOUBLE
);
-- Equivalent skills across loaded frameworks (`lmi frameworks equivalents`), both directions.
CREATE TABLE IF NOT EXISTS skill_equivalents (
    framework_id    VARCHAR NOT NULL,
    skill_id        VARCHAR NOT NULL,
    other_framework_id VARCHAR NOT NULL,
    other_skill_id  VARCHAR NOT NULL,
    rank            INTEGER NOT NULL,           -- 1 = best equivalent in the other framework
    match           VARCHAR NOT NULL,           -- same_label | close | related
    similarity      DOUBLE NOT NULL,            -- max label cosine (MiniLM)
    matched_label   VARCHAR,                    -- the label pair behind the similarity
    other_matched_label VARCHAR,
    shared_occupations INTEGER,                 -- crosswalked occupations that ask for both
    occupations     INTEGER,                    -- crosswalked occupations that ask for the skill
    computed_at     TIMESTAMP DEFAULT current_timestamp
);
