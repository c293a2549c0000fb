-- A provider's catalogue of microcredentials and the framework skills their outcomes map to.
CREATE TABLE IF NOT EXISTS microcredentials (
    credential_id   VARCHAR PRIMARY KEY,
    title           VARCHAR NOT NULL,
    provider        VARCHAR,
    description     VARCHAR,
    learning_outcomes VARCHAR[],
    source_file     VARCHAR,
    imported_at     TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS credential_skills (
    credential_id   VARCHAR NOT NULL,
    framework_id    VARCHAR NOT NULL,
    skill_id        VARCHAR NOT NULL,
    matched_text    VARCHAR NOT NULL,
    outcome_index   INTEGER,
    confidence      DOUBLE NOT NULL,
    method          VARCHAR NOT NULL
);
