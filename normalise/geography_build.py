"""Turn the official geography files (SGC 2021 concordance, simplemaps, GeoNames FSA) into rows.

Used by `reference.import_geography` (full tables) and `build_starter` (the packaged subset).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from lmi.normalise.text import name_variants, place_key

ALIAS_FILE = Path(__file__).resolve().parent / "data" / "place_aliases.csv"
FIXES_FILE = Path(__file__).resolve().parent / "data" / "population_fixes.csv"

PROVINCE_FILE = "provinces_territories.csv"
ER_FILE = "economic_region_2021_complete.csv"
CSD_FILE = "csd_concordance_2021.csv"
CMA_FILE = "census_metropolitan_area_2021_complete.csv"
# Census subdivision types most likely meant by a bare name: cities first, then towns.
TYPE_RANK = {
    "CY": 0,
    "C": 0,
    "CV": 0,
    "V": 0,
    "MU": 1,
    "RGM": 1,
    "SM": 1,
    "CT": 2,
    "T": 2,
    "DM": 3,
    "TP": 4,
    "VL": 4,
    "MÉ": 5,
    "P": 6,
}
CITIES_FILE = "simplemaps_canadacities_basic.csv"
FSA_FILE = "fsa_places_geonames.csv"


@dataclass
class Geography:
    provinces: list[dict] = field(default_factory=list)  # code, pruid, name_en, name_fr
    regions: list[dict] = field(default_factory=list)  # eruid, province, name_en, name_fr
    places: list[dict] = field(
        default_factory=list
    )  # name, province, eruid, cma, population, source
    fsas: list[dict] = field(default_factory=list)  # fsa, province, eruid, place


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            {(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)
        ]


def cma_short(name: str) -> str:
    """'Ottawa - Gatineau (Ontario part / ...)' -> 'Ottawa - Gatineau'; 'A / B' -> 'A'."""
    return name.split(" (")[0].split(" / ")[0].strip()


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat, dlon = a[0] - b[0], (a[1] - b[1]) * math.cos(math.radians(a[0]))
    return 111.0 * math.hypot(dlat, dlon)


def _nearest(
    point: tuple[float, float], pool: list[tuple[tuple[float, float], dict]]
) -> dict | None:
    best = min(pool, key=lambda item: _km(point, item[0]), default=None)
    return best[1] if best else None


def build_geography(folder: str | Path) -> Geography:
    """Read the geography folder; only the concordance, ER and province files are required."""
    folder = Path(folder)
    geo = Geography()
    prov_rows = _read(folder / PROVINCE_FILE)
    by_pruid = {r["pruid"]: r["alpha_code"] for r in prov_rows}
    by_name = {place_key(r["name_en"]): r["alpha_code"] for r in prov_rows}
    geo.provinces = [
        {
            "code": r["alpha_code"],
            "pruid": r["pruid"],
            "name_en": r["name_en"],
            "name_fr": r["name_fr"],
        }
        for r in prov_rows
    ]
    geo.regions = [
        {
            "eruid": r["eruid"],
            "province": r["province"] or by_pruid[r["pruid"]],
            "name_en": r["name_en"],
            "name_fr": r["name_fr"],
        }
        for r in _read(folder / ER_FILE)
    ]
    csd_index: dict[tuple[str, str], dict] = {}
    ranked = sorted(_read(folder / CSD_FILE), key=lambda r: TYPE_RANK.get(r["csd_type"], 9))
    for r in ranked:
        place = {
            "name": r["csd_name"],
            "province": by_pruid[r["pruid"]],
            "eruid": r["eruid"],
            "cma": cma_short(r["cma_name"]) if r["cma_type"] == "CMA" else None,
            "population": None,
            "source": "sgc2021",
            "csd_type": r["csd_type"],
        }
        geo.places.append(place)
        for key in name_variants(place["name"]):
            csd_index.setdefault((key, place["province"]), place)
    aliases = {
        (place_key(a["alias"]), a["province"]): csd_index.get(
            (place_key(a["place"]), a["province"])
        )
        for a in _read(ALIAS_FILE)
        if a["place"]
    }
    for fix in _read(FIXES_FILE):
        target = csd_index.get((place_key(fix["name"].split(" / ")[0]), fix["province"]))
        if target is not None:
            target["population"] = int(fix["population"])
    located: dict[str, list[tuple[tuple[float, float], dict]]] = {}
    city_rows = _read(folder / CITIES_FILE) if (folder / CITIES_FILE).exists() else []
    fsa_city: dict[str, dict] = {}
    for r in sorted(city_rows, key=lambda r: -float(r["population"] or 0)):
        prov, point = r["province_id"], (float(r["lat"]), float(r["lng"]))
        pop = int(float(r["population"] or 0))
        match = csd_index.get((place_key(r["city"]), prov))
        if match is not None and match.get("_sm") is None:
            match["_sm"] = True
            match["population"] = max(pop, match["population"] or 0)
            located.setdefault(prov, []).append((point, match))
            entry = match
        else:
            entry = {
                "name": r["city"],
                "province": prov,
                "eruid": None,
                "cma": None,
                "population": pop,
                "source": "simplemaps",
                "_point": point,
            }
            geo.places.append(entry)
        for fsa in r["postal"].split():
            fsa_city.setdefault(fsa.upper(), entry)  # the most populous place listing this FSA
    for place in geo.places:
        place.pop("_sm", None)
        point = place.pop("_point", None)
        alias = aliases.get((place_key(place["name"]), place["province"]))
        if point is not None and alias:
            place["eruid"], place["cma"] = alias["eruid"], alias["cma"]
            alias["population"] = alias["population"] or place["population"]
        elif point is not None:
            near = _nearest(point, located.get(place["province"], []))
            if near:
                place["eruid"] = near["eruid"]
                place["cma"] = near["cma"] if _km(point, _point_of(near, located)) < 15 else None
    if (folder / FSA_FILE).exists():
        for r in _read(folder / FSA_FILE):
            prov = by_name.get(place_key(r["province"]))
            point = (float(r["latitude"] or 0), float(r["longitude"] or 0))
            fsa = r["fsa"].upper()
            near = fsa_city.get(fsa)
            if near is None or near["province"] != prov or not near["eruid"]:
                near = _nearest(point, located.get(prov or "", [])) if prov else None
            geo.fsas.append(
                {
                    "fsa": fsa,
                    "province": prov,
                    "eruid": near["eruid"] if near else None,
                    "place": r["city"],
                }
            )
    return geo


def _point_of(place: dict, located: dict[str, list[tuple[tuple[float, float], dict]]]) -> tuple:
    for point, entry in located.get(place["province"], []):
        if entry is place:
            return point
    return (0.0, 0.0)
