"""Annual CAD salary from schema.org MonetaryAmount dicts or free text ("$25–30/hr", "45K")."""

from __future__ import annotations

import json
import re
from typing import Any

HOURS_PER_YEAR = 2080  # 40 h x 52 weeks, the usual convention for annualising Canadian wages
PER_YEAR = {"hour": HOURS_PER_YEAR, "day": 260, "week": 52, "biweek": 26, "month": 12, "year": 1}
UNIT_WORDS = [
    (
        "hour",
        r"/\s*h(ou)?r\b|/\s*h\b|per hour|an hour|hourly|\bhr\b|/heure|de l'heure|\bheure\b|"
        r"horaire|\$/h|\bhr\.?$",
    ),
    ("day", r"per day|/\s*day|daily|par jour|/jour"),
    ("week", r"per week|/\s*w(ee)?k|weekly|par semaine|/semaine"),
    ("biweek", r"bi-?weekly|every two weeks|aux deux semaines"),
    ("month", r"per month|/\s*mo(nth)?\b|monthly|par mois|/mois|mensuel"),
    ("year", r"per year|/\s*y(ea)?r|annual|annually|yearly|par an|/an\b|annuel|per annum|p\.a\."),
]
NUMBER = re.compile(r"(\d{1,3}(?:[ ,\u202f\u00a0]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*([kK])?(?!\d)")
RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|to|à|a)\s*")


def _unit_of(text: str) -> str | None:
    low = text.lower()
    if re.search(r"bi-?weekly|every two weeks|aux deux semaines", low):
        return "biweek"
    for unit, pattern in UNIT_WORDS:
        if re.search(pattern, low):
            return unit
    return None


def _unit_code(unit: str | None) -> str | None:
    if not unit:
        return None
    u = unit.strip().lower()
    for key in ("hour", "day", "week", "month", "year"):
        if u.startswith(key) or u == key[0]:
            return key
    return {
        "annual": "year",
        "yearly": "year",
        "hourly": "hour",
        "monthly": "month",
        "weekly": "week",
        "daily": "day",
    }.get(u)


def _numbers(text: str) -> list[float]:
    values = []
    for whole, cents, kilo in NUMBER.findall(text):
        value = float(re.sub(r"[ ,\u202f\u00a0]", "", whole) + (f".{cents}" if cents else ""))
        values.append(value * 1000 if kilo else value)
    return values


def _guess_unit(value: float) -> str:
    """Without a unit word: small amounts are hourly, large ones yearly."""
    if value < 200:
        return "hour"
    if value < 20_000:
        return "month" if value >= 1_500 else "week"
    return "year"


def annualise(
    low: float | None, high: float | None, unit: str | None
) -> tuple[float | None, float | None]:
    """Scale a (low, high) pay range in `unit` to annual amounts; implausible results -> None."""
    vals = [v for v in (low, high) if v is not None]
    if not vals:
        return None, None
    unit = unit or _guess_unit(max(vals))
    factor = PER_YEAR.get(unit, 1)
    lo, hi = (low or high) * factor, (high or low) * factor
    lo, hi = min(lo, hi), max(lo, hi)
    if not (8_000 <= lo <= 2_000_000 and hi <= 3_000_000):
        return None, None
    return round(lo, 2), round(hi, 2)


def parse_salary_text(text: str | None) -> tuple[float | None, float | None]:
    """Free text like '$25–30/hr', '45K', '60 000 $ à 70 000 $ par année' -> annual (min, max)."""
    if not text or not re.search(r"\d", text):
        return None, None
    values = [v for v in _numbers(text) if v > 0][:2]
    if not values:
        return None, None
    if (
        len(values) == 2
        and values[1] >= 1000
        and values[0] < 1000
        and re.search(r"\d\s*[kK]", text)
        and values[0] * 1000 <= values[1] * 1.5
    ):
        values[0] *= 1000  # "45-55K"
    unit = _unit_of(text)
    return annualise(values[0], values[-1] if len(values) > 1 else None, unit)


def parse_salary(salary: Any) -> tuple[float | None, float | None]:
    """A salary_json value (dict from the crawler, JSON string, or schema.org shape) or text."""
    if salary is None:
        return None, None
    if isinstance(salary, str):
        try:
            salary = json.loads(salary)
        except ValueError:
            return parse_salary_text(salary)
    if isinstance(salary, int | float):
        return annualise(float(salary), None, None)
    if not isinstance(salary, dict):
        return None, None
    currency = str(salary.get("currency") or "CAD").upper()
    if currency not in ("CAD", "C$", "CA$"):
        return None, None
    value = salary.get("value")
    unit = salary.get("unit") or salary.get("unitText")
    low, high = (
        salary.get("min") or salary.get("minValue"),
        salary.get("max") or salary.get("maxValue"),
    )
    if isinstance(value, dict):
        unit = unit or value.get("unitText")
        low = low or value.get("minValue")
        high = high or value.get("maxValue")
        value = value.get("value")
    if isinstance(value, str) and not (low or high):
        lo_hi = parse_salary_text(value + (f" per {unit}" if unit else ""))
        return lo_hi
    low = _num(low) or _num(value)
    high = _num(high) or _num(value)
    return annualise(low, high, _unit_code(unit))


def _num(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        nums = _numbers(str(value))
        return nums[0] if nums else None
