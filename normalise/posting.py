"""One raw posting row -> the normalised columns of `postings`. Called by the loader per posting."""

from __future__ import annotations

from typing import Any

import duckdb

from lmi.normalise.employment import normalise_employment_type
from lmi.normalise.html import html_to_text
from lmi.normalise.language import detect_language
from lmi.normalise.location import detect_work_mode, parse_location
from lmi.normalise.occupation import code_occupation
from lmi.normalise.salary import parse_salary
from lmi.normalise.sector import classify_sector

NOC_MIN_SCORE = 0.45  # below this the title is not coded (noc_code NULL)


def _occupational_code(raw: dict[str, Any]) -> str | None:
    """A 5-digit NOC code the source itself gave (occupationalCategory), if any."""
    value = str(raw.get("occupational_category") or "").strip()
    digits = value.split()[0] if value else ""
    return digits if len(digits) == 5 and digits.isdigit() else None


def normalise_posting(
    raw: dict[str, Any], con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, Any]:
    """Normalised `postings` columns for a raw_postings row (dict keyed by column name)."""
    title = (raw.get("title") or "").strip() or None
    description = html_to_text(raw.get("description_html"))
    loc = parse_location(
        raw.get("location_raw"),
        locality=raw.get("address_locality"),
        region=raw.get("address_region"),
        country=raw.get("address_country"),
        postal_code=raw.get("postal_code"),
        remote=raw.get("remote"),
        con=con,
    )
    work_mode = loc.work_mode or detect_work_mode(title, remote=raw.get("remote"))
    sector = classify_sector(
        industry=raw.get("industry"),
        employer=raw.get("employer"),
        title=title,
        description=description,
        con=con,
    )
    given = _occupational_code(raw)
    if given:
        noc_code, noc_score = given, 1.0
    elif title:
        noc = code_occupation(title, description, con=con)
        keep = noc.code is not None and noc.score >= NOC_MIN_SCORE
        noc_code, noc_score = (noc.code, noc.score) if keep else (None, noc.score or None)
    else:
        noc_code, noc_score = None, None
    salary_min, salary_max = parse_salary(raw.get("salary_json"))
    return {
        "title": title,
        "employer": raw.get("employer"),
        "description": description,
        "city": loc.city or raw.get("address_locality"),
        "province": loc.province,
        "economic_region": loc.economic_region,
        "cma": loc.cma,
        "work_mode": work_mode,
        "naics_sector": sector.code,
        "sector_source": sector.source,
        "noc_code": noc_code,
        "noc_score": noc_score,
        "employment_type": normalise_employment_type(raw.get("employment_type")),
        "salary_annual_min": salary_min,
        "salary_annual_max": salary_max,
        "language": detect_language(" ".join(filter(None, [title, description]))),
    }
