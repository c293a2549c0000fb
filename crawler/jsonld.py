"""Pure functions: find schema.org JobPosting objects in HTML and map one to a JobPostingItem.

Tolerant by design: JSON-LD in the wild comes as single objects, arrays, `@graph`s (with @id
references), nested in WebPage/ItemList, with trailing commas, raw newlines or HTML comments;
pages without JSON-LD may carry microdata or RDFa (see lmi.crawler.microdata); dates, salaries
and locations come in many shapes.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

from lmi.crawler.items import JobPostingItem
from lmi.crawler.microdata import extract_items

SCHEMA_ORG = "https://schema.org"   # the JSON-LD vocabulary IRI: an identifier, never fetched
_SCRIPT_RE = re.compile(
    r"<script\b[^>]*\btype\s*=\s*[\"']?\s*application/ld\+json[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_MICRODATA_HINT = re.compile(r"(itemtype|typeof)\s*=\s*[\"']?[^\"'>]*JobPosting", re.IGNORECASE)


class Extraction(NamedTuple):
    """What the JSON-LD blocks of one page contained."""

    postings: list[dict[str, Any]]   # JobPosting objects, as published
    blocks: int                       # number of ld+json script blocks
    errors: list[str]                 # one message per block that could not be parsed
    microdata: int = 0                # postings read from microdata/RDFa (when no JSON-LD had one)


def _loads_lenient(text: str) -> Any:
    """json.loads, then retry after removing comments/CDATA wrappers and trailing commas."""
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        pass
    cleaned = text.strip()
    for wrapper in ("<!--", "-->", "//<![CDATA[", "//]]>", "<![CDATA[", "]]>"):
        cleaned = cleaned.replace(wrapper, "")
    cleaned = _TRAILING_COMMA_RE.sub(r"\1", cleaned.strip().rstrip(";"))
    return json.loads(cleaned, strict=False)


def _is_jobposting(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting"
               for k in kinds)


def find_jobpostings(data: Any) -> list[dict[str, Any]]:
    """Every JobPosting object inside parsed JSON-LD (arrays, @graph, nested values)."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if _is_jobposting(node):
                found.append(node)
            else:
                stack.extend(reversed(list(node.values())))
    return found


def _id_index(data: Any) -> dict[str, dict[str, Any]]:
    """Objects with an @id and content of their own, by @id (for resolving references)."""
    index: dict[str, dict[str, Any]] = {}
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("@id")
            if isinstance(ref, str) and len(node) > 1:
                index.setdefault(ref, node)
            stack.extend(node.values())
    return index


def resolve_references(node: Any, index: dict[str, dict[str, Any]], depth: int = 0) -> Any:
    """A copy of `node` where `{"@id": x}` stubs are replaced by the object with that @id."""
    if depth > 8:
        return node
    if isinstance(node, list):
        return [resolve_references(v, index, depth + 1) for v in node]
    if isinstance(node, dict):
        ref = node.get("@id")
        if len(node) == 1 and isinstance(ref, str) and ref in index:
            return resolve_references(index[ref], index, depth + 1)
        return {k: resolve_references(v, index, depth + 1) for k, v in node.items()}
    return node


def extract_jobpostings(page_html: str) -> Extraction:
    """All JobPosting objects of a page: its ld+json blocks, else its microdata/RDFa items."""
    postings: list[dict[str, Any]] = []
    errors: list[str] = []
    blocks = _SCRIPT_RE.findall(page_html or "")
    for block in blocks:
        if not block.strip():
            continue
        try:
            data = _loads_lenient(block)
        except json.JSONDecodeError as exc:
            errors.append(f"{exc.msg} at line {exc.lineno} col {exc.colno}")
            continue
        index = _id_index(data)
        postings.extend(resolve_references(p, index) for p in find_jobpostings(data))
    microdata = 0
    if not postings and _MICRODATA_HINT.search(page_html or ""):
        found = find_jobpostings(extract_items(page_html))
        postings.extend(found)
        microdata = len(found)
    return Extraction(postings, len(blocks), errors, microdata)


# ---------------------------------------------------------------------------- values

def _text(value: Any) -> str | None:
    """A readable string from a string, number, list or schema.org object (name/value)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        return ", ".join(parts) or None
    if isinstance(value, dict):
        for key in ("name", "value", "codeValue", "@id", "url"):
            if value.get(key) not in (None, ""):
                return _text(value[key])
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        cleaned = re.sub(r"[^\d.\-]", "", value.replace(",", ""))
        try:
            return float(cleaned) if cleaned else None
        except ValueError:
            return None
    return None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y",
                 "%b %d, %Y", "%B %d %Y", "%a, %d %b %Y %H:%M:%S %Z")


_RFC822_RE = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d")


def _rfc822(text: str) -> datetime | None:
    """RSS dates ('Tue, 03 Nov 2026 09:00:00 -0500'), aware when an offset is given."""
    if not _RFC822_RE.match(text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def parse_datetime(value: Any) -> datetime | None:
    """Lenient: ISO 8601 (with Z or offset), RFC 822, written formats, epoch s/ms. Naive UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = str(value).strip()
        if not text:
            return None
        parsed = _rfc822(text)
        try:
            parsed = parsed or datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
            if match:
                try:
                    parsed = datetime(*(int(g) for g in match.groups()))
                except ValueError:
                    return None
            else:
                for fmt in _DATE_FORMATS:
                    try:
                        parsed = datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
        if parsed is None:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def parse_date(value: Any) -> date | None:
    """The calendar date as written (no timezone shift) when it can be read, else None."""
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
        written = _rfc822(value)
        if written is not None:
            return written.date()
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def parse_salary(value: Any) -> dict[str, Any] | None:
    """baseSalary (MonetaryAmount, QuantitativeValue, number, list) -> a flat dict.

    Keys: currency, min, max, value, unit (YEAR, HOUR, ...). None when there is no amount.
    """
    if isinstance(value, list):
        value = next((v for v in value if v is not None), None)
    if value is None:
        return None
    if isinstance(value, str):
        return parse_salary_text(value)
    if not isinstance(value, dict):
        number = _number(value)
        return {"currency": None, "min": None, "max": None, "value": number,
                "unit": None} if number is not None else None
    currency = _text(value.get("currency") or value.get("salaryCurrency"))
    unit = _text(value.get("unitText"))
    inner = value.get("value", value)
    if isinstance(inner, list):
        inner = inner[0] if inner else None
    out: dict[str, Any] = {"currency": currency, "min": None, "max": None, "value": None,
                           "unit": unit}
    if isinstance(inner, dict):
        out["min"] = _number(inner.get("minValue"))
        out["max"] = _number(inner.get("maxValue"))
        out["value"] = _number(inner.get("value"))
        out["unit"] = _text(inner.get("unitText")) or unit
    else:
        out["value"] = _number(inner)
    if out["min"] is None and out["max"] is None:
        out["min"] = _number(value.get("minValue"))
        out["max"] = _number(value.get("maxValue"))
    out["unit"] = normalise_unit(out["unit"])
    if all(out[k] is None for k in ("min", "max", "value")):
        return None
    return out


_UNITS = ((r"BI-?WEEK", "BIWEEKLY"), (r"HOUR|HRS?\b|HEURE", "HOUR"), (r"DAY|DAILY|JOUR", "DAY"),
          (r"WEEK|SEMAINE", "WEEK"), (r"MONTH|MOIS", "MONTH"),
          (r"YEAR|YRS?\b|ANNU|ANN[ÉE]E|AN\b", "YEAR"))


def normalise_unit(unit: Any) -> str | None:
    """'hour', 'per-hour-wage', '1 YEAR', 'annually', 'par heure' -> HOUR|DAY|WEEK|MONTH|YEAR.

    An unknown unit is kept upper-cased; no unit is None.
    """
    text = _text(unit)
    if not text:
        return None
    upper = text.upper()
    for pattern, name in _UNITS:
        if re.search(rf"(?<![A-Z])(?:{pattern})", upper):
            return name
    return upper


_SEP = ",\u00a0\u202f "
_AMOUNT_RE = re.compile(rf"(\d{{1,3}}(?:[{_SEP}]\d{{3}})+(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d+)?)"
                        r"\s*([kK])?(?![\d])")


def _amount(digits: str) -> float | None:
    """'80,000' / '80 000' / '1,200.50' / '18,50' (decimal comma) -> float."""
    grouped = re.fullmatch(rf"(\d{{1,3}}(?:[{_SEP}]\d{{3}})+)([.,]\d{{1,2}})?", digits)
    if grouped:
        whole = re.sub(rf"[{_SEP}]", "", grouped.group(1))
        return float(whole + (grouped.group(2) or "").replace(",", "."))
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None
_CURRENCY_RE = re.compile(r"\b(CAD|USD|EUR|GBP)\b|(CA?\$)|(US\$)|(€)|(£)")
_CURRENCY_BY_GROUP = (None, "CAD", "USD", "EUR", "GBP")


_UNIT_NAMES = {name for _, name in _UNITS}


def parse_salary_text(text: str | None) -> dict[str, Any] | None:
    """A written salary ('$25.50 to $30 hourly', 'CAD 80K-95K per year') -> the salary dict.

    None when it holds no amount ('Competitive', 'DOE'). A bare '$' does not set a currency.
    """
    if not text or not isinstance(text, str):
        return None
    amounts = []
    for digits, thousands in _AMOUNT_RE.findall(text):
        number = _amount(digits)
        if number is not None:
            amounts.append(number * 1000 if thousands else number)
    if not amounts:
        return None
    upper = text.upper()
    match = _CURRENCY_RE.search(upper)
    currency = None
    if match:
        currency = match.group(1) or _CURRENCY_BY_GROUP[match.lastindex - 1]
    unit_words = re.sub(r"[\d$€£,.\-–]", " ", text)
    unit = normalise_unit(unit_words)
    unit = unit if unit in _UNIT_NAMES else None
    out = {"currency": currency, "min": None, "max": None, "value": None, "unit": unit}
    if len(amounts) >= 2:
        out["min"], out["max"] = min(amounts[:2]), max(amounts[:2])
    else:
        out["value"] = amounts[0]
    return out


def _identifier(value: Any) -> str | None:
    """PropertyValue {name, value} -> its value (not the issuer's name)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("value") or value.get("@id") or value.get("name"))
    return _text(value)


def _category(value: Any) -> str | None:
    """occupationalCategory as text or CategoryCode {codeValue, name} -> 'code name'."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        parts = [_text(value.get("codeValue")), _text(value.get("name"))]
        return " ".join(p for p in parts if p) or None
    return _text(value)


def _locations(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, dict | str)]


def _address(place: dict[str, Any] | str) -> dict[str, str | None]:
    """Address fields of one Place (address as object, list or plain string)."""
    if isinstance(place, str):
        return {"raw": place.strip() or None}
    address = place.get("address", place)
    if isinstance(address, list):
        address = address[0] if address else {}
    if isinstance(address, str):
        return {"raw": address.strip() or _text(place.get("name"))}
    fields = {
        "locality": _text(address.get("addressLocality")),
        "region": _text(address.get("addressRegion")),
        "country": _text(address.get("addressCountry")),
        "postal_code": _text(address.get("postalCode")),
    }
    street = _text(address.get("streetAddress"))
    parts = [street, fields["locality"], fields["region"], fields["postal_code"],
             fields["country"]]
    fields["raw"] = ", ".join(p for p in parts if p) or _text(place.get("name"))
    return fields


def _is_remote(posting: dict[str, Any]) -> bool | None:
    kinds = posting.get("jobLocationType")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if any(isinstance(k, str) and "TELECOMMUTE" in k.upper() for k in kinds):
        return True
    return False if posting.get("jobLocation") else None


def _applicant_locations(value: Any) -> dict[str, str | None]:
    """applicantLocationRequirements (Country / State / AdministrativeArea, or text) -> fields."""
    areas = value if isinstance(value, list) else [value]
    names: list[str] = []
    fields: dict[str, str | None] = {}
    for area in areas:
        name = _text(area)
        if not name:
            continue
        names.append(name)
        kind = _text(area.get("@type")) if isinstance(area, dict) else None
        if kind == "Country":
            fields.setdefault("country", name)
        elif kind in {"State", "AdministrativeArea"}:
            fields.setdefault("region", name)
    fields["raw"] = " | ".join(names) or None
    return fields


def _description(value: Any) -> str | None:
    """description as HTML; an HTML-escaped description ('&lt;p&gt;') is unescaped once."""
    if not isinstance(value, str):
        return _text(value)
    if "<" not in value and re.search(r"&lt;/?[a-zA-Z]", value):
        return html.unescape(value)
    return value


def to_item(posting: dict[str, Any], *, source_id: str, url: str,
            fetched_at: datetime) -> JobPostingItem:
    """Map one JobPosting object to a JobPostingItem (no validation: the pipeline does that)."""
    places = [_address(p) for p in _locations(posting.get("jobLocation"))]
    first = places[0] if places else {}
    raw = " | ".join(p["raw"] for p in places if p.get("raw")) or None
    if not places and posting.get("applicantLocationRequirements"):
        first = _applicant_locations(posting["applicantLocationRequirements"])
        raw = first.get("raw")
    return JobPostingItem(
        source_id=source_id,
        url=url,
        fetched_at=fetched_at,
        jsonld=posting,
        title=_text(posting.get("title") or posting.get("name")),
        employer=_text(posting.get("hiringOrganization")),
        description_html=_description(posting.get("description")),
        date_posted=parse_date(posting.get("datePosted")),
        valid_through=parse_datetime(posting.get("validThrough")),
        location_raw=raw,
        address_locality=first.get("locality"),
        address_region=first.get("region"),
        address_country=first.get("country"),
        postal_code=first.get("postal_code"),
        remote=_is_remote(posting),
        industry=_text(posting.get("industry")),
        occupational_category=_category(posting.get("occupationalCategory")),
        employment_type=_text(posting.get("employmentType")),
        salary=parse_salary(posting.get("baseSalary") or posting.get("estimatedSalary")),
        identifier=_identifier(posting.get("identifier")),
    )
