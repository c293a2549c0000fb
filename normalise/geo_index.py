"""Lookup tables for location parsing, from the warehouse ref tables or the starter CSVs."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lmi.normalise.text import name_variants, place_key

DATA_DIR = Path(__file__).resolve().parent / "data"

PROVINCE_WORDS = {
    "ON": ["on", "ont", "ontario"],
    "QC": ["qc", "que", "quebec", "pq", "p q", "qu"],
    "BC": ["bc", "b c", "british columbia", "colombie britannique", "c b", "cb"],
    "AB": ["ab", "alta", "alberta"],
    "SK": ["sk", "sask", "saskatchewan"],
    "MB": ["mb", "man", "manitoba"],
    "NS": ["ns", "n s", "nova scotia", "nouvelle ecosse", "n e"],
    "NB": ["nb", "n b", "new brunswick", "nouveau brunswick"],
    "NL": [
        "nl",
        "nfld",
        "nf",
        "newfoundland",
        "newfoundland and labrador",
        "newfoundland labrador",
        "terre neuve",
        "terre neuve et labrador",
        "t n l",
    ],
    "PE": ["pe", "pei", "p e i", "prince edward island", "ile du prince edouard", "i p e"],
    "YT": ["yt", "yk", "yukon", "yukon territory"],
    "NT": ["nt", "nwt", "n w t", "northwest territories", "territoires du nord ouest", "t n o"],
    "NU": ["nu", "nunavut"],
}
SINGLE_ER = {"PE": "1110", "YT": "6010", "NT": "6110", "NU": "6210"}
GENERIC_ER = {
    "north",
    "northern",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "southern",
    "south central",
    "north central",
    "north shore",
    "north coast",
    "interlake",
    "parklands",
    "cape breton",
}
US_STATES = {
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
}
US_STATE_NAMES = [
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
]


@dataclass(frozen=True)
class Place:
    name: str
    province: str
    eruid: str | None
    cma: str | None
    population: int


@dataclass
class GeoIndex:
    places: dict[str, list[Place]] = field(default_factory=dict)  # key -> candidates, big first
    provinces: dict[str, str] = field(default_factory=dict)  # key -> province code
    region_names: dict[str, str] = field(default_factory=dict)  # eruid -> English name
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (province, eruid)
    fsa: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    foreign: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (country, pop)
    countries: dict[str, str] = field(default_factory=dict)  # key -> ISO code
    source: str = "starter"

    def add_place(self, place: Place, name: str | None = None) -> None:
        for key in name_variants(name or place.name):
            bucket = self.places.setdefault(key, [])
            if place not in bucket:
                bucket.append(place)


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _table_rows(con: duckdb.DuckDBPyConnection | None, query: str) -> list[tuple] | None:
    if con is None:
        return None
    try:
        got = con.execute(query).fetchall()
    except duckdb.Error:
        return None
    return got or None


def build_index(con: duckdb.DuckDBPyConnection | None = None) -> GeoIndex:
    """Build the index from the warehouse ref tables when loaded, else from the starter tables."""
    idx = GeoIndex()
    places = _table_rows(
        con, "SELECT name, province, eruid, cma, coalesce(population, 0) FROM ref_places"
    )
    if places:
        idx.source = "warehouse"
    else:
        places = [
            (r["name"], r["province"], r["eruid"], r["cma"], r["population"])
            for r in _csv("places.csv")
        ]
    for name, prov, eruid, cma, pop in places:
        idx.add_place(Place(name, prov, eruid or None, cma or None, int(pop or 0)))
    fsas = _table_rows(con, "SELECT fsa, province, eruid FROM ref_fsa") or [
        (r["fsa"], r["province"], r["eruid"]) for r in _csv("fsa_regions.csv")
    ]
    idx.fsa = {f: (p, e or None) for f, p, e in fsas if p}
    regions = _table_rows(
        con, "SELECT eruid, province, name_en, name_fr FROM ref_economic_regions"
    ) or [
        (r["eruid"], r["province"], r["name_en"], r["name_fr"])
        for r in _csv("economic_regions.csv")
    ]
    for eruid, prov, name_en, name_fr in regions:
        idx.region_names[eruid] = name_en
        for name in (name_en, name_fr):
            for part in name.split("--"):
                key = place_key(part)
                if key not in GENERIC_ER:
                    idx.regions.setdefault(key, (prov, eruid))
    _add_aliases(idx)
    for code, words in PROVINCE_WORDS.items():
        for w in words:
            idx.provinces[w] = code
    for key, bucket in idx.places.items():
        bucket.sort(key=lambda p: -p.population)
        idx.places[key] = bucket
    for r in _csv("foreign_places.csv"):
        key = place_key(r["name"])
        if key not in idx.foreign or int(r["population"]) > idx.foreign[key][1]:
            idx.foreign[key] = (r["country"], int(r["population"]))
    idx.countries = {place_key(r["name"]): r["country"] for r in _csv("countries.csv")}
    idx.countries.update({name: "US" for name in US_STATE_NAMES if name != "washington"})
    return idx


def _add_aliases(idx: GeoIndex) -> None:
    for a in _csv("place_aliases.csv"):
        if a["place"]:
            targets = [
                p for p in idx.places.get(place_key(a["place"]), []) if p.province == a["province"]
            ]
            if targets:
                t = targets[0]
                idx.add_place(
                    Place(t.name, t.province, t.eruid, t.cma, max(t.population, 1)), a["alias"]
                )
        else:
            idx.add_place(
                Place("", a["province"], a["eruid"] or None, a["cma"] or None, 1), a["alias"]
            )
