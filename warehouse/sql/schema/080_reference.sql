-- Reference tables for normalisation: geography, sectors, occupations.
CREATE TABLE IF NOT EXISTS ref_provinces (
    code VARCHAR PRIMARY KEY, pruid VARCHAR, name_en VARCHAR, name_fr VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_economic_regions (
    eruid VARCHAR PRIMARY KEY, province VARCHAR, name_en VARCHAR, name_fr VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_places (
    name VARCHAR, name_ascii VARCHAR, province VARCHAR, eruid VARCHAR, cma VARCHAR,
    population BIGINT, source VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_naics (
    code VARCHAR PRIMARY KEY, level INTEGER, parent VARCHAR, title VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_noc (
    code VARCHAR PRIMARY KEY, level INTEGER, title VARCHAR
);
