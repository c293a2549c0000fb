-- The current, normalised version of each posting, ready for aggregation.
CREATE TABLE IF NOT EXISTS postings (
    posting_id      VARCHAR PRIMARY KEY,        -- = raw_postings.posting_key
    raw_id          VARCHAR NOT NULL,           -- the raw version this row was built from
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    title           VARCHAR,
    employer        VARCHAR,
    description     VARCHAR,                    -- plain text; skill offsets point into it
    date_posted     DATE,
    valid_through   TIMESTAMP,
    location_raw    VARCHAR,
    city            VARCHAR,
    province        VARCHAR,                    -- two-letter code, 'OUTSIDE' or NULL
    economic_region VARCHAR,                    -- 4-digit ERUID or NULL
    cma             VARCHAR,
    work_mode       VARCHAR,                    -- onsite | hybrid | remote | NULL
    naics_sector    VARCHAR,                    -- 2-digit sector code (e.g. '54', '31-33') or NULL
    sector_source   VARCHAR,
    noc_code        VARCHAR,                    -- 5-digit NOC 2021 unit group or NULL
    noc_score       DOUBLE,
    employment_type VARCHAR,
    salary_annual_min DOUBLE,
    salary_annual_max DOUBLE,
    language        VARCHAR,                    -- en | fr
    first_seen      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL,
    expired_at      TIMESTAMP,
    extracted_at    TIMESTAMP,
    extractor_version VARCHAR
);
