-- What the crawler saw, as it saw it: one row per posting URL per distinct content.
CREATE TABLE IF NOT EXISTS raw_postings (
    raw_id          VARCHAR PRIMARY KEY,        -- sha1(source_id | url | content_hash)
    posting_key     VARCHAR NOT NULL,           -- sha1(source_id | canonical url): the posting across versions
    source_id       VARCHAR NOT NULL,
    run_id          VARCHAR,
    url             VARCHAR NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,
    content_hash    VARCHAR NOT NULL,
    title           VARCHAR,
    employer        VARCHAR,
    description_html VARCHAR,
    date_posted     DATE,
    valid_through   TIMESTAMP,
    location_raw    VARCHAR,
    address_locality VARCHAR,
    address_region  VARCHAR,
    address_country VARCHAR,
    postal_code     VARCHAR,
    remote          BOOLEAN,
    industry        VARCHAR,
    occupational_category VARCHAR,
    employment_type VARCHAR,
    salary_json     JSON,
    identifier      VARCHAR,
    jsonld          JSON NOT NULL
);
