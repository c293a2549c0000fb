"""Pure functions: ATS job-board API responses (Greenhouse, Lever, Ashby) -> JobPostingItems.

Each record keeps the API record itself as `jsonld` (raw). A response or record whose shape is
not the published one raises ApiShapeError; `parse_board` turns that into a PageProblemItem
(kind "api_shape") for the record and goes on with the others.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.jsonld import normalise_unit, parse_date, parse_datetime, parse_salary_text

_REMOTE_RE = re.compile(r"\b(remote|télétravail|teletravail|work from home|wfh)\b", re.IGNORECASE)
_BOARD_PATH = {
    "greenhouse": re.compile(r"/boards/([^/]+)/"),
    "lever": re.compile(r"/postings/([^/?]+)"),
    "ashby": re.compile(r"/job-board/([^/?]+)"),
}


class ApiShapeError(ValueError):
    """The API answered with a shape other than the published one."""


class BoardParse(NamedTuple):
    """The postings of one API response, and the records (or response) that did not fit."""

    items: list[JobPostingItem]
    problems: list[PageProblemItem]
    records: int                      # records in the response (listed or not)


# ---------------------------------------------------------------------------- helpers

def board_token(family: str, url: str) -> str:
    """The board token / company / board name in an ATS API URL ('acme' in /boards/acme/jobs)."""
    path = urlsplit(url).path
    match = _BOARD_PATH[family].search(path + "/")
    if match:
        return unquote(match.group(1))
    parts = [p for p in path.split("/") if p]
    return unquote(parts[-1]) if parts else urlsplit(url).netloc


def _expect(record: dict[str, Any], key: str, types: type | tuple[type, ...],
            required: bool = False) -> Any:
    value = record.get(key)
    if value is None:
        if required:
            raise ApiShapeError(f"missing {key!r}")
        return None
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise ApiShapeError(f"{key!r} is {type(value).__name__}, expected "
                            f"{getattr(types, '__name__', types)}")
    return value


def _str(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def _remote_from(text: str | None, workplace: str | None = None) -> bool | None:
    kind = (workplace or "").lower().replace("-", "").replace("_", "")
    if kind == "remote":
        return True
    if kind in {"onsite", "hybrid"}:
        return False
    if text and _REMOTE_RE.search(text):
        return True
    return False if text else None


def _salary(currency: Any, low: Any, high: Any, unit: Any) -> dict[str, Any] | None:
    def num(v: Any) -> float | None:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        parsed = parse_salary_text(v) if isinstance(v, str) else None
        return parsed and (parsed["value"] if parsed["value"] is not None else parsed["min"])
    low_n, high_n = num(low), num(high)
    if low_n is None and high_n is None:
        return None
    same = low_n == high_n
    return {"currency": _str(currency), "min": None if same else low_n,
            "max": None if same else high_n, "value": low_n if same else None,
            "unit": normalise_unit(unit)}


def _sample(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)[:300]


def _city_fields(text: str | None) -> dict[str, str | None]:
    """'Toronto, ON' / 'Toronto, Ontario, Canada' -> locality, region (and country)."""
    if not text or _REMOTE_RE.fullmatch(text.strip()):
        return {}
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if len(parts) < 2:
        return {}
    out = {"locality": parts[0], "region": parts[1]}
    if len(parts) >= 3:
        out["country"] = parts[2]
    return out


def _base(record: dict[str, Any], *, source_id: str, url: str, fetched_at: datetime,
          **fields: Any) -> JobPostingItem:
    return JobPostingItem(source_id=source_id, url=url, fetched_at=fetched_at, jsonld=record,
                          **fields)


# ---------------------------------------------------------------------------- Greenhouse

def _greenhouse_salary(metadata: Any) -> dict[str, Any] | None:
    """A currency_range custom field ({min_value, max_value, unit: 'CAD'}) or a salary text."""
    for field in metadata if isinstance(metadata, list) else []:
        if not isinstance(field, dict):
            continue
        value, name = field.get("value"), str(field.get("name") or "").lower()
        if isinstance(value, dict) and ("min_value" in value or "max_value" in value):
            return _salary(value.get("unit"), value.get("min_value"), value.get("max_value"),
                           None)
        if isinstance(value, str) and ("salary" in name or "pay" in name):
            return parse_salary_text(value)
    return None


def greenhouse_item(record: dict[str, Any], *, source_id: str, board: str,
                    fetched_at: datetime) -> JobPostingItem:
    """One job of GET /v1/boards/{token}/jobs?content=true (content is HTML-escaped HTML)."""
    _expect(record, "id", (int, str), required=True)
    title = _expect(record, "title", str)
    url = _expect(record, "absolute_url", str, required=True)
    location = _expect(record, "location", dict) or {}
    content = _expect(record, "content", str)
    departments = _expect(record, "departments", list) or []
    location_name = _str(location.get("name"))
    posted = record.get("first_published") or record.get("updated_at")
    fields = _city_fields(location_name)
    return _base(
        record, source_id=source_id, url=url, fetched_at=fetched_at,
        title=title, employer=_str(record.get("company_name")) or board,
        description_html=html.unescape(content) if content else None,
        date_posted=parse_date(posted), location_raw=location_name,
        address_locality=fields.get("locality"), address_region=fields.get("region"),
        address_country=fields.get("country"), remote=_remote_from(location_name),
        industry=", ".join(d["name"] for d in departments
                           if isinstance(d, dict) and _str(d.get("name"))) or None,
        salary=_greenhouse_salary(record.get("metadata")),
        identifier=_str(record.get("requisition_id")) or str(record["id"]),
    )


def _greenhouse_records(data: Any) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise ApiShapeError("expected an object with a 'jobs' list")
    return data["jobs"]


# ---------------------------------------------------------------------------- Lever

def _lever_description(record: dict[str, Any]) -> str | None:
    parts = [record.get("description") or ""]
    for block in record.get("lists") or []:
        if isinstance(block, dict):
            parts.append(f"<h3>{block.get('text') or ''}</h3><ul>{block.get('content') or ''}</ul>")
    parts.append(record.get("additional") or "")
    text = "".join(p for p in parts if isinstance(p, str)).strip()
    return text or _str(record.get("descriptionPlain"))


def lever_item(record: dict[str, Any], *, source_id: str, board: str,
               fetched_at: datetime) -> JobPostingItem:
    """One posting of GET /v0/postings/{company}?mode=json (createdAt in ms since the epoch)."""
    _expect(record, "id", str, required=True)
    title = _expect(record, "text", str)
    url = _expect(record, "hostedUrl", str, required=True)
    categories = _expect(record, "categories", dict) or {}
    _expect(record, "lists", list)
    salary_range = _expect(record, "salaryRange", dict)
    created = _expect(record, "createdAt", (int, float, str))
    location = _str(categories.get("location"))
    all_locations = [x for x in categories.get("allLocations") or [] if _str(x)]
    fields = _city_fields(location)
    salary = None
    if salary_range:
        salary = _salary(salary_range.get("currency"), salary_range.get("min"),
                         salary_range.get("max"), salary_range.get("interval"))
    return _base(
        record, source_id=source_id, url=url, fetched_at=fetched_at,
        title=title, employer=board, description_html=_lever_description(record),
        date_posted=parse_date(parse_datetime(created)) if created is not None else None,
        location_raw=" | ".join(all_locations) or location,
        address_locality=fields.get("locality"), address_region=fields.get("region"),
        address_country=_str(record.get("country")) or fields.get("country"),
        remote=_remote_from(location, record.get("workplaceType")),
        industry=_str(categories.get("department")) or _str(categories.get("team")),
        employment_type=_str(categories.get("commitment")), salary=salary,
        identifier=record["id"],
    )


def _lever_records(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ApiShapeError("expected a JSON list of postings")
    return data


# ---------------------------------------------------------------------------- Ashby

def _ashby_address(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    inner = value.get("postalAddress", value)
    return inner if isinstance(inner, dict) else {}


def _ashby_salary(compensation: Any) -> dict[str, Any] | None:
    """The Salary summary component, else the span of the tiers' Salary components (lowest
    minimum to highest maximum, same currency and interval), else the written summary."""
    if not isinstance(compensation, dict):
        return None
    def salaries(pool: Any) -> list[dict[str, Any]]:
        return [c for c in pool if isinstance(c, dict)
                and str(c.get("compensationType", "")).lower() == "salary"] if isinstance(
                    pool, list) else []
    summary = [s for s in (_salary(c.get("currencyCode"), c.get("minValue"), c.get("maxValue"),
                                   c.get("interval"))
                           for c in salaries(compensation.get("summaryComponents"))) if s]
    if summary:
        return summary[0]
    tiers = [_salary(c.get("currencyCode"), c.get("minValue"), c.get("maxValue"),
                     c.get("interval"))
             for t in compensation.get("compensationTiers") or [] if isinstance(t, dict)
             for c in salaries(t.get("components"))]
    tiers = [t for t in tiers if t]
    if tiers:
        first = tiers[0]
        same = [t for t in tiers if (t["currency"], t["unit"]) == (first["currency"],
                                                                    first["unit"])]
        lows = [v for t in same for v in (t["min"], t["value"]) if v is not None]
        highs = [v for t in same for v in (t["max"], t["value"]) if v is not None]
        return _salary(first["currency"], min(lows), max(highs), first["unit"])
    return parse_salary_text(compensation.get("compensationTierSummary"))


def ashby_item(record: dict[str, Any], *, source_id: str, board: str,
               fetched_at: datetime) -> JobPostingItem:
    """One job of GET /posting-api/job-board/{name}?includeCompensation=true."""
    _expect(record, "id", str, required=True)
    title = _expect(record, "title", str)
    url = _expect(record, "jobUrl", str, required=True)
    location = _str(_expect(record, "location", str))
    secondary = _expect(record, "secondaryLocations", list) or []
    address = _ashby_address(_expect(record, "address", dict))
    names = [location] + [_str(s.get("location")) if isinstance(s, dict) else _str(s)
                          for s in secondary]
    is_remote = record.get("isRemote")
    remote = _remote_from(location, record.get("workplaceType"))
    if isinstance(is_remote, bool) and record.get("workplaceType") in (None, ""):
        remote = is_remote
    return _base(
        record, source_id=source_id, url=url, fetched_at=fetched_at,
        title=title, employer=board,
        description_html=_str(record.get("descriptionHtml")) or _str(
            record.get("descriptionPlain")),
        date_posted=parse_date(record.get("publishedAt")),
        location_raw=" | ".join(n for n in names if n) or None,
        address_locality=_str(address.get("addressLocality")),
        address_region=_str(address.get("addressRegion")),
        address_country=_str(address.get("addressCountry")), remote=remote,
        industry=_str(record.get("department")) or _str(record.get("team")),
        employment_type=_str(record.get("employmentType")),
        salary=_ashby_salary(record.get("compensation")), identifier=record["id"],
    )


def _ashby_records(data: Any) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise ApiShapeError("expected an object with a 'jobs' list")
    return data["jobs"]


def _ashby_listed(record: dict[str, Any]) -> bool:
    return record.get("isListed") is not False


# ---------------------------------------------------------------------------- dispatch

_FAMILIES: dict[str, tuple[Callable[[Any], list[Any]], Callable[..., JobPostingItem],
                           Callable[[dict[str, Any]], bool]]] = {
    "greenhouse": (_greenhouse_records, greenhouse_item, lambda r: True),
    "lever": (_lever_records, lever_item, lambda r: True),
    "ashby": (_ashby_records, ashby_item, _ashby_listed),
}


def parse_board(family: str, data: Any, *, source_id: str, url: str,
                fetched_at: datetime) -> BoardParse:
    """All postings of one decoded API response; misfits become api_shape problems."""
    records_of, item_of, listed = _FAMILIES[family]
    board = board_token(family, url)
    try:
        records = records_of(data)
    except ApiShapeError as exc:
        problem = PageProblemItem(source_id=source_id, url=url, kind="api_shape",
                                  detail=str(exc), sample=_sample(data))
        return BoardParse([], [problem], 0)
    items: list[JobPostingItem] = []
    problems: list[PageProblemItem] = []
    for index, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise ApiShapeError(f"record is {type(record).__name__}, expected object")
            if not listed(record):
                continue
            items.append(item_of(record, source_id=source_id, board=board,
                                 fetched_at=fetched_at))
        except ApiShapeError as exc:
            problems.append(PageProblemItem(
                source_id=source_id, url=f"{url}#record-{index + 1}", kind="api_shape",
                detail=f"record {index + 1}: {exc}", sample=_sample(record)))
    return BoardParse(items, problems, len(records))
