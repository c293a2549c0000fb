"""Raw posting rows -> the normalised columns of `postings`; the loader calls it per batch."""

from __future__ import annotations

from typing import Any

import duckdb

from lmi.normalise.blas import single_threaded_blas
from lmi.normalise.employment import normalise_employment_type
from lmi.normalise.geo_index import GeoIndex
from lmi.normalise.html import html_to_text
from lmi.normalise.language import detect_language
from lmi.normalise.location import Location, detect_work_mode, geo_index, parse_location
from lmi.normalise.occupation import get_coder
from lmi.normalise.refstamp import Stamp, reference_stamp
from lmi.normalise.salary import parse_salary
from lmi.normalise.sector import SectorEvidence, classify_sectors, sector_classifier

NOC_MIN_SCORE = 0.45  # below this the title is not coded (noc_code NULL)


def _occupational_code(raw: dict[str, Any]) -> str | None:
    """A 5-digit NOC code the source itself gave (occupationalCategory), if any."""
    value = str(raw.get("occupational_category") or "").strip()
    digits = value.split()[0] if value else ""
    return digits if len(digits) == 5 and digits.isdigit() else None


def normalise_posting(
    raw: dict[str, Any], con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, Any]:
    """Normalised `postings` columns for a raw_postings row (dict keyed by column name).

    A batch of one: prefer `normalise_postings` for many rows (one reference check per batch).
    """
    return normalise_postings([raw], con=con)[0]


def normalise_postings(
    raws: list[dict[str, Any]], con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """Normalised `postings` columns for many raw_postings rows, in order.

    The reference tables are checked once; titles and sectors are coded with one vectorised
    call each over the batch's distinct texts.
    """
    if not raws:
        return []
    with single_threaded_blas():
        return _normalise_batch(raws, con)


def _normalise_batch(
    raws: list[dict[str, Any]], con: duckdb.DuckDBPyConnection | None
) -> list[dict[str, Any]]:
    stamp = reference_stamp(con)
    index = geo_index(con, stamp=stamp.geo)
    titles = [(raw.get("title") or "").strip() or None for raw in raws]
    descriptions = [html_to_text(raw.get("description_html")) for raw in raws]
    locations = _locations(raws, index)
    sectors = classify_sectors(
        [
            SectorEvidence(raw.get("industry"), raw.get("employer"), title, description)
            for raw, title, description in zip(raws, titles, descriptions, strict=True)
        ],
        sector_classifier(con, stamp=stamp.naics),
    )
    nocs = _occupations(raws, titles, con, stamp.noc)
    out = []
    for i, raw in enumerate(raws):
        title, description, loc, sector = titles[i], descriptions[i], locations[i], sectors[i]
        salary_min, salary_max = parse_salary(raw.get("salary_json"))
        noc_code, noc_score = nocs[i]
        out.append(
            {
                "title": title,
                "employer": raw.get("employer"),
                "description": description,
                "city": loc.city or raw.get("address_locality"),
                "province": loc.province,
                "economic_region": loc.economic_region,
                "cma": loc.cma,
                "work_mode": loc.work_mode or detect_work_mode(title, remote=raw.get("remote")),
                "naics_sector": sector.code,
                "sector_source": sector.source,
                "noc_code": noc_code,
                "noc_score": noc_score,
                "employment_type": normalise_employment_type(raw.get("employment_type")),
                "salary_annual_min": salary_min,
                "salary_annual_max": salary_max,
                "language": detect_language(" ".join(filter(None, [title, description]))),
            }
        )
    return out


LOCATION_FIELDS = (
    "location_raw",
    "address_locality",
    "address_region",
    "address_country",
    "postal_code",
    "remote",
)


def _locations(raws: list[dict[str, Any]], index: GeoIndex) -> list[Location]:
    """Parsed location per row; identical location fields are parsed once."""
    done: dict[tuple, Location] = {}
    out = []
    for raw in raws:
        key = tuple(raw.get(f) for f in LOCATION_FIELDS)
        if key not in done:
            done[key] = parse_location(
                raw.get("location_raw"),
                locality=raw.get("address_locality"),
                region=raw.get("address_region"),
                country=raw.get("address_country"),
                postal_code=raw.get("postal_code"),
                remote=raw.get("remote"),
                index=index,
            )
        out.append(done[key])
    return out


def _occupations(
    raws: list[dict[str, Any]],
    titles: list[str | None],
    con: duckdb.DuckDBPyConnection | None,
    stamp: Stamp,
) -> list[tuple[str | None, float | None]]:
    """(noc_code, noc_score) per row: the source's own code, else the coder above NOC_MIN_SCORE."""
    given = [_occupational_code(raw) for raw in raws]
    todo = [i for i, (g, t) in enumerate(zip(given, titles, strict=True)) if not g and t]
    coded = get_coder(con, stamp=stamp).code_many([titles[i] for i in todo]) if todo else []
    out: list[tuple[str | None, float | None]] = [(g, 1.0) if g else (None, None) for g in given]
    for i, noc in zip(todo, coded, strict=True):
        keep = noc.code is not None and noc.score >= NOC_MIN_SCORE
        out[i] = (noc.code, noc.score) if keep else (None, noc.score or None)
    return out
