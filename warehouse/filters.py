"""Report filters: what the user typed (region, sector, occupation, dates) -> bound SQL parameters.

Every report query selects from the `filtered_postings(...)` table macro (sql/reports/_macros.sql)
with the parameters returned by `resolve_filters`: $province, $economic_region, $sector,
$noc_prefix, $since, $until, each NULL when not filtered.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from lmi.warehouse.db import WarehouseError, rows

# Used only when ref_provinces has not been loaded yet (`lmi reference load`).
_PROVINCES = {
    "NL": ("Newfoundland and Labrador", "Terre-Neuve-et-Labrador"),
    "PE": ("Prince Edward Island", "Île-du-Prince-Édouard"),
    "NS": ("Nova Scotia", "Nouvelle-Écosse"),
    "NB": ("New Brunswick", "Nouveau-Brunswick"),
    "QC": ("Quebec", "Québec"),
    "ON": ("Ontario", "Ontario"),
    "MB": ("Manitoba", "Manitoba"),
    "SK": ("Saskatchewan", "Saskatchewan"),
    "AB": ("Alberta", "Alberta"),
    "BC": ("British Columbia", "Colombie-Britannique"),
    "YT": ("Yukon", "Yukon"),
    "NT": ("Northwest Territories", "Territoires du Nord-Ouest"),
    "NU": ("Nunavut", "Nunavut"),
}
PARAM_NAMES = ("province", "economic_region", "sector", "noc_prefix", "since", "until")


@dataclass(frozen=True)
class Filters:
    """What the user asked for; every field optional (None = no filter)."""

    region: str | None = None
    sector: str | None = None
    occupation: str | None = None
    since: str | None = None
    until: str | None = None
    period: str | None = None     # a month (2024-03) or a quarter (2024-Q1): sets since/until

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form used for matching names."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-–—]+", " ", text.lower()).strip()


def _unknown(kind: str, value: str, choices: dict[str, str]) -> WarehouseError:
    """Error naming the closest valid values (keys are what a user types, values a display)."""
    folded = {fold(k): v for k, v in choices.items()}
    close = difflib.get_close_matches(fold(value), list(folded), n=5, cutoff=0.5)
    shown = list(dict.fromkeys(folded[c] for c in close))
    every = list(dict.fromkeys(folded.values()))
    if shown:
        hint = f" Closest: {', '.join(shown)}."
    elif every and len(every) <= 12:
        hint = f" Valid: {', '.join(every)}."
    else:
        hint = ""
    return WarehouseError(
        f"unknown {kind} {value!r}.{hint} List all valid values with `lmi report values {kind}`."
    )


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def province_choices(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Provinces as {code, name_en, name_fr}: ref_provinces, else the built-in list."""
    if _has_rows(con, "ref_provinces"):
        return rows(con, "SELECT code, name_en, name_fr FROM ref_provinces ORDER BY code")
    return [{"code": c, "name_en": en, "name_fr": fr} for c, (en, fr) in _PROVINCES.items()]


def region_choices(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Economic regions as {eruid, province, name_en, name_fr}, plus codes only seen in postings."""
    known = rows(con, "SELECT eruid, province, name_en, name_fr FROM ref_economic_regions "
                      "ORDER BY eruid")
    seen = {r["eruid"] for r in known}
    extra = rows(con, "SELECT DISTINCT economic_region AS eruid, province FROM postings "
                      "WHERE economic_region IS NOT NULL ORDER BY 1")
    known += [{**r, "name_en": None, "name_fr": None} for r in extra if r["eruid"] not in seen]
    return known


def _resolve_region(con: duckdb.DuckDBPyConnection, value: str) -> dict[str, Any]:
    key = fold(value)
    provinces = province_choices(con)
    for p in provinces:
        if key in {fold(p["code"]), fold(p["name_en"] or ""), fold(p["name_fr"] or "")}:
            return {"province": p["code"], "region_label": f"{p['name_en']} ({p['code']})"}
    regions = region_choices(con)
    for r in regions:
        if key in {fold(r["eruid"]), fold(r["name_en"] or ""), fold(r["name_fr"] or "")}:
            return _er(r)
    place, _, prov = (part.strip() for part in value.partition(","))
    prov_code = next((p["code"] for p in provinces if prov and fold(prov) in
                      {fold(p["code"]), fold(p["name_en"] or "")}), None)
    hits = rows(con, r"""
        SELECT eruid FROM ref_places
        WHERE eruid IS NOT NULL
          AND regexp_replace(lower(strip_accents(name)), '[\s\-–—]+', ' ', 'g') = $name
          AND ($prov IS NULL OR province = $prov)
        ORDER BY population DESC NULLS LAST LIMIT 1""", {"name": fold(place), "prov": prov_code})
    if hits:
        match = next((r for r in regions if r["eruid"] == hits[0]["eruid"]), None)
        if match:
            return _er(match, via=value)
    choices = {p["code"]: p["code"] for p in provinces}
    choices |= {p["name_en"]: f"{p['name_en']} ({p['code']})" for p in provinces}
    choices |= {r["eruid"]: f"{r['eruid']}" + (f" {r['name_en']}" if r["name_en"] else "")
                for r in regions}
    choices |= {r["name_en"]: f"{r['name_en']} ({r['eruid']})" for r in regions if r["name_en"]}
    raise _unknown("region", value, choices)


def _er(r: dict[str, Any], via: str | None = None) -> dict[str, Any]:
    label = f"{r['name_en'] or 'economic region'} ({r['eruid']})"
    if via:
        label = f"{via} -> {label}"
    return {"economic_region": r["eruid"], "region_label": label}


def sector_choices(con: duckdb.DuckDBPyConnection) -> list[dict[str, str | None]]:
    """NAICS sectors as {code, title}: ref_naics level 1, else the codes seen in postings."""
    if _has_rows(con, "ref_naics"):
        return rows(con, "SELECT code, title FROM ref_naics WHERE level = 1 ORDER BY code")
    return rows(con, "SELECT DISTINCT naics_sector AS code, NULL AS title FROM postings "
                     "WHERE naics_sector IS NOT NULL ORDER BY 1")


def _in_range(code: str, key: str) -> bool:
    """'31' is inside the sector '31-33'."""
    lo, _, hi = code.partition("-")
    return bool(hi) and key.isdigit() and lo.isdigit() and hi.isdigit() and \
        int(lo) <= int(key) <= int(hi)


def _resolve_sector(con: duckdb.DuckDBPyConnection, value: str) -> dict[str, Any]:
    key = fold(value)
    sectors = sector_choices(con)
    for s in sectors:
        if key in {fold(s["code"]), fold(s["title"] or "")} or _in_range(s["code"], key):
            label = f"{s['code']} {s['title']}" if s["title"] else s["code"]
            return {"sector": s["code"], "sector_label": label}
    choices = {s["code"]: s["code"] for s in sectors}
    choices |= {s["title"]: f"{s['code']} {s['title']}" for s in sectors if s["title"]}
    raise _unknown("sector", value, choices)


def occupation_choices(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """NOC codes as {code, title}: ref_noc, else the unit groups seen in postings."""
    if _has_rows(con, "ref_noc"):
        return rows(con, "SELECT code, title FROM ref_noc ORDER BY code")
    return rows(con, "SELECT DISTINCT noc_code AS code, NULL AS title FROM postings "
                     "WHERE noc_code IS NOT NULL ORDER BY 1")


def _resolve_occupation(con: duckdb.DuckDBPyConnection, value: str) -> dict[str, Any]:
    nocs = occupation_choices(con)
    key = value.strip()
    if re.fullmatch(r"\d{1,5}", key):
        if any(n["code"].startswith(key) for n in nocs):
            title = next((n["title"] for n in nocs if n["code"] == key and n["title"]), None)
            return {"noc_prefix": key, "occupation_label": f"{key} {title}" if title else key}
    else:
        for n in nocs:
            if n["title"] and fold(n["title"]) == fold(key):
                return {"noc_prefix": n["code"], "occupation_label": f"{n['code']} {n['title']}"}
    choices = {n["code"]: n["code"] for n in nocs}
    choices |= {n["title"]: f"{n['code']} {n['title']}" for n in nocs if n["title"]}
    raise _unknown("occupation", value, choices)


def _date(name: str, value: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise WarehouseError(f"--{name} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31.")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise WarehouseError(f"--{name} {value!r} is not a valid date: {exc}.") from exc


def period_bounds(value: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month ('2024-03') or a quarter ('2024-Q1', '2024Q1')."""
    text = value.strip().upper()
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    quarter = re.fullmatch(r"(\d{4})-?Q([1-4])", text)
    if month and 1 <= int(month.group(2)) <= 12:
        year, first, months = int(month.group(1)), int(month.group(2)), 1
    elif quarter:
        year, first, months = int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 3
    else:
        raise WarehouseError(f"--period {value!r} is not a month or quarter: use YYYY-MM "
                             "(2024-03) or YYYY-Qn (2024-Q1).")
    start = dt.date(year, first, 1)
    after = first + months
    end = dt.date(year + (after - 1) // 12, (after - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def resolve_filters(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, Any]:
    """Bound parameters for the report SQL, plus `*_label` keys describing what was matched.

    Keys: province, economic_region, sector, noc_prefix, since, until (None when unfiltered),
    and region_label / sector_label / occupation_label / period_label when set. Raises
    WarehouseError with the closest valid values when a value is unknown.
    """
    params: dict[str, Any] = dict.fromkeys(PARAM_NAMES)
    if filters.region and filters.region.strip():
        params |= _resolve_region(con, filters.region.strip())
    if filters.sector and filters.sector.strip():
        params |= _resolve_sector(con, filters.sector.strip())
    if filters.occupation and filters.occupation.strip():
        params |= _resolve_occupation(con, filters.occupation.strip())
    if filters.period:
        if filters.since or filters.until:
            raise WarehouseError("--period sets the dates: leave out --since and --until.")
        params["since"], params["until"] = period_bounds(filters.period)
        params["period_label"] = filters.period.strip().upper()
    if filters.since:
        params["since"] = _date("since", filters.since)
    if filters.until:
        params["until"] = _date("until", filters.until)
    if params["since"] and params["until"] and params["since"] > params["until"]:
        raise WarehouseError(f"--since {params['since']} is after --until {params['until']}.")
    return params


def sql_params(params: dict[str, Any]) -> dict[str, Any]:
    """Only the bound parameters (drop the *_label descriptions); keeps the use_aggregates
    flag that `lmi.warehouse.reports.run` reads (it is never bound)."""
    return {k: params.get(k) for k in (*PARAM_NAMES, "use_aggregates")}
