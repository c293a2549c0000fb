-- Competency frameworks and their skills (ESCO, O*NET, a provider's own, the starter one).
CREATE TABLE IF NOT EXISTS frameworks (
    framework_id    VARCHAR PRIMARY KEY,        -- esco | onet | starter | provider:NAME
    name            VARCHAR NOT NULL,
    version         VARCHAR,
    source_path     VARCHAR,
    imported_at     TIMESTAMP DEFAULT current_timestamp,
    skill_count     INTEGER
);
CREATE TABLE IF NOT EXISTS skills (
    framework_id    VARCHAR NOT NULL,
    skill_id        VARCHAR NOT NULL,           -- the framework's own id (ESCO concept URI, ...)
    preferred_label VARCHAR NOT NULL,
    alt_labels      VARCHAR[],
    description     VARCHAR,
    skill_type      VARCHAR,                    -- skill | knowledge | technology | ...
    reuse_level     VARCHAR,
    parent_id       VARCHAR,
    collections     VARCHAR[],                  -- digital | green | transversal | hot_technology | in_demand
    PRIMARY KEY (framework_id, skill_id)
);
