"""Load reference data into the warehouse: official files, or the packaged starter tables."""

from __future__ import annotations

import csv
import shutil
import tempfile
import urllib.request
from pathlib import Path

import duckdb

from lmi.normalise.geography_build import CSD_FILE, build_geography

DATA_DIR = Path(__file__).resolve().parent / "data"
NOC_FILE = "noc_structure_en.csv"
OASIS_TITLES_FILE = "example-titles_oasis_2023_v1.0.csv"
OASIS_LABELS_FILE = "labels_oasis_2023_v1.0.csv"
NAICS_STRUCTURE_FILE = "naics-scian-2022-structure-v1-eng.csv"
NAICS_ELEMENT_FILE = "naics-scian-2022-element-v1-eng.csv"

# Official open-data locations (Statistics Canada, ESDC on open.canada.ca): the only hosts
# the defaults below may name; base_url overrides.
OFFICIAL_HOSTS = ("www.statcan.gc.ca", "open.canada.ca")
DOWNLOADS: dict[str, tuple[str | None, dict[str, str]]] = {
    "noc": (
        "https://www.statcan.gc.ca/en/statistical-programs/document",
        {NOC_FILE: "noc_2021_version_1.0_-_classification_structure.csv"},
    ),
    "naics": (
        "https://www.statcan.gc.ca/en/statistical-programs/document",
        {NAICS_STRUCTURE_FILE: NAICS_STRUCTURE_FILE, NAICS_ELEMENT_FILE: NAICS_ELEMENT_FILE},
    ),
    "oasis": (
        "https://open.canada.ca/data/dataset/eeb3e442-9f19-4d12-8b38-c488fe4f6e5e/resource",
        {OASIS_TITLES_FILE: OASIS_TITLES_FILE, OASIS_LABELS_FILE: OASIS_LABELS_FILE},
    ),
    # StatCan publishes no single file in this layout: geography needs --base-url to a mirror.
    "geography": (
        None,
        {
            name: name
            for name in (
                "provinces_territories.csv",
                "economic_region_2021_complete.csv",
                CSD_FILE,
                "census_metropolitan_area_2021_complete.csv",
                "simplemaps_canadacities_basic.csv",
                "fsa_places_geonames.csv",
            )
        },
    ),
}
KINDS = tuple(DOWNLOADS)


class ReferenceError(Exception):
    """A reference file is missing or not in the expected format."""


def _rows(path: Path) -> list[dict[str, str]]:
    """CSV rows with BOM removed and stray spaces stripped from headers and values."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            {(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)
        ]


def _locate(path: str | Path, filename: str) -> Path:
    p = Path(path)
    target = p / filename if p.is_dir() else p
    if not target.exists():
        raise ReferenceError(f"expected {filename} at {target}")
    return target


def _need(rows: list[dict], columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if rows and c not in rows[0]]
    if not rows or missing:
        raise ReferenceError(f"{path} is empty or lacks columns {missing}")


def read_noc_structure(path: str | Path) -> list[dict]:
    """NOC 2021 structure CSV -> [{code, level, title}] (all five levels)."""
    file = _locate(path, NOC_FILE)
    rows = _rows(file)
    _need(rows, ("Level", "Code - NOC 2021 V1.0", "Class title"), file)
    return [
        {"code": r["Code - NOC 2021 V1.0"], "level": int(r["Level"]), "title": r["Class title"]}
        for r in rows
        if r["Level"].isdigit()
    ]


def read_oasis_titles(path: str | Path) -> list[dict]:
    """OaSIS example titles (+ profile labels beside them) -> [{code (5-digit), title, kind}]."""
    file = _locate(path, OASIS_TITLES_FILE)
    rows = _rows(file)
    _need(rows, ("OaSIS profile code", "Job title type", "Job title text"), file)
    out = []
    labels = file.parent / OASIS_LABELS_FILE
    if labels.exists():
        out += [
            {"code": r["OaSIS profile code"][:5], "title": r["Label"], "kind": "profile"}
            for r in _rows(labels)
            if r.get("Label")
        ]
    out += [
        {
            "code": r["OaSIS profile code"][:5],
            "title": r["Job title text"],
            "kind": r["Job title type"],
        }
        for r in rows
        if r["Job title text"]
    ]
    return out


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    rows: list[dict],
    source: str = "imported",
) -> int:
    con.execute(f"DELETE FROM {table}")  # table names are constants of this module
    con.execute(
        "INSERT OR REPLACE INTO ref_loads VALUES (?, ?, current_timestamp)", [table, source]
    )
    if rows:  # bulk load through a temporary CSV: far faster than executemany in DuckDB
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rows.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                writer.writerows(
                    [["" if r.get(c) is None else r.get(c) for c in columns] for r in rows]
                )
            names = ", ".join(columns)
            con.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM read_csv(?, "
                "header = true, all_varchar = true, nullstr = '', quote = '\"')",
                [str(path)],
            )
    return len(rows)


def import_noc(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Replace ref_noc with the NOC 2021 structure file (folder or file); returns rows loaded."""
    return _replace(con, "ref_noc", ["code", "level", "title"], read_noc_structure(path))


def import_oasis(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Replace ref_noc_titles with the OaSIS example titles (and profile labels); returns rows."""
    rows = read_oasis_titles(path)
    unit_titles = con.execute("SELECT code, title FROM ref_noc WHERE level = 5").fetchall()
    rows += [{"code": c, "title": t, "kind": "unit"} for c, t in unit_titles]
    return _replace(con, "ref_noc_titles", ["code", "title", "kind"], rows)


def import_naics(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Replace ref_naics (and ref_naics_elements if the element file is beside it); returns rows."""
    file = _locate(path, NAICS_STRUCTURE_FILE)
    rows = _rows(file)
    _need(rows, ("Level", "Code", "Parent", "Class title"), file)
    n = _replace(
        con,
        "ref_naics",
        ["code", "level", "parent", "title"],
        [
            {
                "code": r["Code"],
                "level": int(r["Level"]),
                "parent": r["Parent"] or None,
                "title": r["Class title"],
            }
            for r in rows
        ],
    )
    elements = file.parent / NAICS_ELEMENT_FILE
    if elements.exists():
        n += _replace(
            con,
            "ref_naics_elements",
            ["code", "kind", "text"],
            [
                {
                    "code": r["Code"],
                    "kind": r["Element Type Label"],
                    "text": r["Element Description"],
                }
                for r in _rows(elements)
            ],
        )
    return n


def import_geography(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Replace the geography tables from a folder holding the SGC 2021 concordance files."""
    folder = Path(path)
    folder = folder if folder.is_dir() else folder.parent
    if not (folder / CSD_FILE).exists():
        raise ReferenceError(f"{folder} holds no {CSD_FILE}")
    geo = build_geography(folder)
    n = _replace(con, "ref_provinces", ["code", "pruid", "name_en", "name_fr"], geo.provinces)
    n += _replace(
        con, "ref_economic_regions", ["eruid", "province", "name_en", "name_fr"], geo.regions
    )
    places = [dict(p, name_ascii=None) for p in geo.places]
    n += _replace(
        con,
        "ref_places",
        ["name", "name_ascii", "province", "eruid", "cma", "population", "source"],
        places,
    )
    n += _replace(con, "ref_fsa", ["fsa", "province", "eruid", "place"], geo.fsas)
    return n


def starter_rows(name: str) -> list[dict[str, str]]:
    """Rows of a packaged starter table, e.g. starter_rows('places')."""
    return _rows(DATA_DIR / f"{name}.csv")


STARTER_PLAN = {
    "ref_provinces": ("provinces", ["code", "pruid", "name_en", "name_fr"]),
    "ref_economic_regions": ("economic_regions", ["eruid", "province", "name_en", "name_fr"]),
    "ref_places": ("places", ["name", "province", "eruid", "cma", "population"]),
    "ref_fsa": ("fsa_regions", ["fsa", "province", "eruid"]),
    "ref_naics": ("naics_sectors", ["code", "level", "parent", "title"]),
    "ref_noc": ("noc_codes", ["code", "level", "title"]),
    "ref_noc_titles": ("noc_titles_starter", ["code", "title", "kind"]),
}
TABLES = [*STARTER_PLAN, "ref_naics_elements"]


def load_starter_reference(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Fill every EMPTY reference table from the packaged starter tables; returns rows per table."""
    loaded = {}
    for table, (name, columns) in STARTER_PLAN.items():
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            continue
        rows = [{k: (v or None) for k, v in r.items()} for r in starter_rows(name)]
        if table == "ref_places":
            rows = [dict(r, source="starter") for r in rows]
            columns = [*columns, "source"]
        loaded[table] = _replace(con, table, columns, rows, source="starter")
    return loaded


def reference_status(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Rows per reference table and whether they are the starter tables, imported, or empty."""
    out = []
    for table in TABLES:
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        got = con.execute("SELECT source FROM ref_loads WHERE table_name = ?", [table]).fetchone()
        source = "empty" if n == 0 else (got[0] if got else "unknown")
        out.append({"table": table, "rows": n, "source": source})
    return out


def download_reference(
    kind: str, dest: str | Path, *, base_url: str | None = None, timeout: float = 60.0
) -> list[Path]:
    """Download the official files of `kind` (noc, oasis, naics, geography) into `dest`."""
    if kind not in DOWNLOADS:
        raise ReferenceError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    default_base, files = DOWNLOADS[kind]
    base = (base_url or default_base or "").rstrip("/")
    if not base:
        raise ReferenceError(f"{kind} has no official single download; pass base_url")
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for local_name, remote_name in files.items():
        url = f"{base}/{remote_name if base_url is None else local_name}"
        request = urllib.request.Request(url, headers={"User-Agent": "lmi-scanner reference"})
        with (
            urllib.request.urlopen(request, timeout=timeout) as resp,
            tempfile.NamedTemporaryFile(dir=target, delete=False) as tmp,
        ):
            shutil.copyfileobj(resp, tmp)
        tmp_path = Path(tmp.name)
        head = tmp_path.read_bytes()[:2048].decode("utf-8-sig", errors="replace")
        if "," not in head.split("\n", 1)[0] or head.lstrip().startswith("<"):
            tmp_path.unlink()
            raise ReferenceError(f"{url} did not return a CSV file")
        saved.append(tmp_path.replace(target / local_name))
    return saved
