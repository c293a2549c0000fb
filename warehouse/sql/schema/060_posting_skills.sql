-- Every skill asserted for a posting, with its evidence; and the phrases that linked to nothing.
CREATE TABLE IF NOT EXISTS posting_skills (
    posting_id      VARCHAR NOT NULL,
    framework_id    VARCHAR NOT NULL,
    skill_id        VARCHAR NOT NULL,
    matched_text    VARCHAR NOT NULL,
    start_char      INTEGER NOT NULL,
    end_char        INTEGER NOT NULL,
    confidence      DOUBLE NOT NULL,
    method          VARCHAR NOT NULL            -- exact | alt_label | semantic
);
CREATE TABLE IF NOT EXISTS unlinked_phrases (
    posting_id      VARCHAR NOT NULL,
    phrase          VARCHAR NOT NULL,
    start_char      INTEGER NOT NULL,
    end_char        INTEGER NOT NULL,
    best_framework_id VARCHAR,
    best_skill_id   VARCHAR,
    best_score      DOUBLE
);
