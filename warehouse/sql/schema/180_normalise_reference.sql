-- Extra reference tables for normalisation (owned by lmi.normalise).
CREATE TABLE IF NOT EXISTS ref_fsa (
    fsa VARCHAR PRIMARY KEY, province VARCHAR, eruid VARCHAR, place VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_noc_titles (
    code VARCHAR, title VARCHAR, kind VARCHAR         -- kind: unit | profile | Example | Index | Inclusion
);
CREATE TABLE IF NOT EXISTS ref_naics_elements (
    code VARCHAR, kind VARCHAR, text VARCHAR          -- inclusions and illustrative examples per NAICS code
);
CREATE TABLE IF NOT EXISTS ref_loads (
    table_name VARCHAR PRIMARY KEY, source VARCHAR, loaded_at TIMESTAMP   -- source: starter | file path
);
