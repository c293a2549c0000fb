-- Insert or refresh one normalised posting; keeps first_seen, clears extraction when content changed.
INSERT INTO postings (
    posting_id, raw_id, source_id, url, title, employer, description, date_posted, valid_through,
    location_raw, city, province, economic_region, cma, work_mode, naics_sector, sector_source,
    noc_code, noc_score, employment_type, salary_annual_min, salary_annual_max, language,
    first_seen, last_seen, expired_at, extracted_at, extractor_version
) VALUES (
    $posting_id, $raw_id, $source_id, $url, $title, $employer, $description, $date_posted,
    $valid_through, $location_raw, $city, $province, $economic_region, $cma, $work_mode,
    $naics_sector, $sector_source, $noc_code, $noc_score, $employment_type, $salary_annual_min,
    $salary_annual_max, $language, $seen_at, $seen_at, NULL, NULL, NULL
)
ON CONFLICT (posting_id) DO UPDATE SET
    raw_id = excluded.raw_id, url = excluded.url, title = excluded.title,
    employer = excluded.employer, description = excluded.description,
    date_posted = excluded.date_posted, valid_through = excluded.valid_through,
    location_raw = excluded.location_raw, city = excluded.city, province = excluded.province,
    economic_region = excluded.economic_region, cma = excluded.cma, work_mode = excluded.work_mode,
    naics_sector = excluded.naics_sector, sector_source = excluded.sector_source,
    noc_code = excluded.noc_code, noc_score = excluded.noc_score,
    employment_type = excluded.employment_type, salary_annual_min = excluded.salary_annual_min,
    salary_annual_max = excluded.salary_annual_max, language = excluded.language,
    last_seen = excluded.last_seen, extracted_at = NULL, extractor_version = NULL;
