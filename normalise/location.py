"""Place a posting's location: province, economic region, CMA, city, work mode, or OUTSIDE."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from types import EllipsisType

import duckdb

from lmi.normalise.geo_index import SINGLE_ER, US_STATES, GeoIndex, Place, build_index
from lmi.normalise.refstamp import Stamp, reference_stamp
from lmi.normalise.text import fold, place_key

OUTSIDE = "OUTSIDE"
POSTAL = re.compile(r"\b([ABCEGHJKLMNPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])\s?(\d[A-Z]\d)?\b", re.I)
FSA_FIRST = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "Y": "YT",
}
MODE_PATTERNS = [
    ("hybrid", re.compile(r"\bhybrid[e]?\b|\bpartially remote\b|\bflex(ible)? work", re.I)),
    (
        "remote",
        re.compile(
            r"\bremote\b|t[ée]l[ée]travail|work(ing)? from home|\bwfh\b|"
            r"\bvirtual\b|\bà distance\b|\ba distance\b|home[- ]based",
            re.I,
        ),
    ),
    (
        "onsite",
        re.compile(
            r"\bon[- ]?site\b|\bin[- ]office\b|\bin[- ]person\b|sur place|"
            r"en pr[ée]sentiel",
            re.I,
        ),
    ),
]
NOISE = re.compile(
    r"\b(hybrid[e]?|remote|fully|100%|temporarily|partially|first|friendly|work from home|wfh|"
    r"t[ée]l[ée]travail|virtual|on[- ]?site|in[- ]office|in[- ]person|sur place|en pr[ée]sentiel|"
    r"à distance|flexible|job|jobs|location|locations|based|head office|office|bureau|"
    r"downtown|centre[- ]ville|greater|area|metro|city of|ville de|municipality of|region of|"
    r"near|within|anywhere in|anywhere|across|nationwide|multiple|various|several|"
    r"only|hq|campus|work location|lieu de travail|county of|district of)\b",
    re.I,
)
SPLIT = re.compile(r"\s[-–—|·•&+]\s|[,;/|()\[\]\n]|\s[–—]|[–—]\s|:|\s(?:or|ou)\s", re.I)
CANADA_WORDS = {"canada", "ca", "can", "canadian", "across canada", "all of canada"}
FOREIGN_DOMINANCE = 3


@dataclass(frozen=True)
class Location:
    province: str | None = None  # two-letter code, OUTSIDE, or None (unknown)
    economic_region: str | None = None  # 4-digit ERUID
    cma: str | None = None
    city: str | None = None
    work_mode: str | None = None  # onsite | hybrid | remote | None
    outside_canada: bool = False
    confidence: float = 0.0


_lock = threading.Lock()
_cache: dict[object, GeoIndex] = {}


def geo_index(
    con: duckdb.DuckDBPyConnection | None = None, *, stamp: Stamp | EllipsisType = ...
) -> GeoIndex:
    """The lookup index for these reference tables, cached per stamp (see lmi.normalise.refstamp).

    Pass `stamp` (reference_stamp(con).geo) to skip the stamp query, e.g. once per batch.
    """
    if stamp is ...:
        stamp = reference_stamp(con).geo
    with _lock:
        if stamp not in _cache:
            _cache[stamp] = build_index(con if stamp is not None else None)
        return _cache[stamp]


def detect_work_mode(*texts: str | None, remote: bool | None = None) -> str | None:
    """onsite | hybrid | remote from location/title text, the schema.org remote flag second."""
    joined = " ".join(t for t in texts if t)
    for mode, pattern in MODE_PATTERNS:
        if pattern.search(joined):
            return mode
    return "remote" if remote else None


@dataclass
class _Evidence:
    provinces: set[str]
    places: list[list[Place]]
    fsa: tuple[str, str | None] | None = None
    foreign: bool = False
    canada: bool = False
    ca_token: bool = False
    city_words: str | None = None


def _segments(raw: str) -> list[str]:
    return [s.strip() for s in SPLIT.split(raw) if s and s.strip()]


def _province_of(key: str, idx: GeoIndex) -> str | None:
    return idx.provinces.get(key)


def _match_places(words: list[str], idx: GeoIndex) -> tuple[list[Place], list[str]] | None:
    """Longest n-gram of `words` naming a place or region; partial matches need a big place."""
    n = len(words)
    for size in range(min(n, 6), 0, -1):
        for start in range(0, n - size + 1):
            key = " ".join(words[start : start + size])
            whole = size == n
            cands = idx.places.get(key)
            if cands and (whole or cands[0].population >= 10_000 or cands[0].population == 1):
                return cands, words[:start] + words[start + size :]
            if key in idx.regions and (whole or size > 1):
                prov, eruid = idx.regions[key]
                return [Place("", prov, eruid, None, 1)], words[:start] + words[start + size :]
    return None


def _read_segment(seg: str, idx: GeoIndex, ev: _Evidence) -> None:
    raw_upper = seg.strip()
    if raw_upper in US_STATES and raw_upper != "CA":
        ev.foreign = True
        return
    full = place_key(seg)
    if full in idx.places and full not in idx.provinces:  # "Ville de Québec", "Greater Sudbury"
        ev.places.append(idx.places[full])
        ev.city_words = ev.city_words or seg
        return
    key = place_key(NOISE.sub(" ", fold(seg)))
    if not key:
        return
    if key == "ca":
        ev.ca_token = True  # Canada or California: decided with the other evidence
        return
    if key in CANADA_WORDS:
        ev.canada = True
        return
    if key in idx.provinces and not (key in idx.places and ev.provinces):
        ev.provinces.add(idx.provinces[key])
        return
    if key in idx.countries:
        ev.foreign = True
        return
    words = key.split()
    # trailing province words: "toronto on", "vancouver b c"
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[-size:]) in idx.provinces:
            tail = " ".join(words[-size:])
            if " ".join(words) not in idx.places:
                ev.provinces.add(idx.provinces[tail])
                words = words[:-size]
            break
    if words and words[-1] in ("canada", "can"):
        ev.canada, words = True, words[:-1]
    if not words:
        return
    found = _match_places(words, idx)
    if found:
        ev.places.append(found[0])
        if ev.city_words is None:
            ev.city_words = seg
        return
    joined = " ".join(words)
    if joined in idx.foreign or joined in idx.countries:
        ev.foreign = True


def _pick(ev: _Evidence, idx: GeoIndex) -> tuple[Place | None, float]:
    """One place consistent with the province evidence, or None when ambiguous."""
    chosen: list[Place] = []
    for cands in ev.places:
        fitting = [p for p in cands if p.province in ev.provinces] if ev.provinces else cands
        if not fitting:
            continue
        chosen.append(fitting[0] if _dominant(fitting) else None)  # type: ignore[arg-type]
    if any(c is not None for c in chosen):  # ignore a name that is ambiguous on its own
        chosen = [c for c in chosen if c is not None]
    if not chosen or chosen[0] is None:
        return None, 0.0
    first = chosen[0]
    if len({c.province for c in chosen}) > 1:
        return None, 0.0
    if len({(c.eruid, c.name) for c in chosen}) > 1:  # several places: keep what they share
        same_er = len({c.eruid for c in chosen}) == 1
        same_cma = len({c.cma for c in chosen}) == 1
        first = Place(
            "",
            first.province,
            first.eruid if same_er else None,
            first.cma if same_cma else None,
            first.population,
        )
    conf = 0.95 if ev.provinces else (0.9 if len(ev.places[0]) == 1 else 0.75)
    return first, conf


def _dominant(cands: list[Place]) -> bool:
    provinces = {p.province for p in cands}
    if len(provinces) == 1:
        return True
    second = max((p.population for p in cands if p.province != cands[0].province), default=0)
    return cands[0].population >= 10 * max(second, 1) and cands[0].population >= 20_000


def parse_location(
    raw: str | None = None,
    *,
    locality: str | None = None,
    region: str | None = None,
    country: str | None = None,
    postal_code: str | None = None,
    remote: bool | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    index: GeoIndex | None = None,
) -> Location:
    """Normalise free-text and/or structured location fields; unknown rather than wrong.

    `index` (from geo_index) skips the per-call reference check; otherwise `con` picks the tables.
    """
    idx = index or geo_index(con)
    work_mode = detect_work_mode(raw, locality, remote=remote)
    ev = _Evidence(provinces=set(), places=[])
    country_key = place_key(country or "")
    if country_key and country_key not in CANADA_WORDS:
        iso = idx.countries.get(country_key, country_key.upper())
        if iso not in ("CA", "CAN"):
            return Location(OUTSIDE, None, None, locality, work_mode, True, 0.9)
    ev.canada = bool(country_key)
    for text in (postal_code, raw):
        match = POSTAL.search(text or "") if text else None
        if match and (text is postal_code or match.group(2)):
            fsa = match.group(1).upper()
            got = idx.fsa.get(fsa)
            if got or fsa[0] in FSA_FIRST:
                ev.fsa = got or (FSA_FIRST[fsa[0]], None)
                raw = (raw or "").replace(match.group(0), " ") if text is raw else raw
                break
    if region:
        _read_segment(region, idx, ev)
    if locality:
        _read_segment(locality, idx, ev)
    for seg in reversed(_segments(raw or "")):  # "City, Province": read the province first
        _read_segment(seg, idx, ev)
    ev.places.reverse()
    return _decide(ev, idx, work_mode, locality)


def _decide(ev: _Evidence, idx: GeoIndex, work_mode: str | None, locality: str | None) -> Location:
    if ev.foreign and not ev.provinces and not ev.canada and not ev.fsa:
        return Location(OUTSIDE, None, None, None, work_mode, True, 0.85)
    if ev.ca_token and not ev.places and not ev.provinces:
        ev.canada = True
    ev.canada = ev.canada or (ev.ca_token and bool(ev.places))
    place, conf = _pick(ev, idx)
    if place is not None and not ev.provinces and not ev.canada and not ev.fsa:
        if _foreign_dominates(ev.places[0], idx):
            return Location(None, None, None, None, work_mode, False, 0.0)
    if place is not None:
        prov = place.province
        eruid = place.eruid or SINGLE_ER.get(prov)
        if not eruid and ev.fsa and ev.fsa[0] == prov:
            eruid = ev.fsa[1]
        return Location(prov, eruid, place.cma, place.name or None, work_mode, False, conf)
    if ev.fsa:
        prov, eruid = ev.fsa
        if not ev.provinces or ev.provinces == {prov}:
            return Location(prov, eruid, None, locality, work_mode, False, 0.8)
    if len(ev.provinces) == 1:
        prov = next(iter(ev.provinces))
        return Location(prov, SINGLE_ER.get(prov), None, None, work_mode, False, 0.6)
    return Location(None, None, None, None, work_mode, False, 0.0)


def _foreign_dominates(cands: list[Place], idx: GeoIndex) -> bool:
    if not cands or not cands[0].name:
        return False
    foreign = idx.foreign.get(place_key(cands[0].name))
    return bool(foreign) and foreign[1] >= FOREIGN_DOMINANCE * max(cands[0].population, 1)
