"""Import competency frameworks (ESCO, O*NET technologies, a provider's own) into the warehouse."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb

from lmi.config import DEMO_DIR
from lmi.warehouse.db import rows, sql

ESCO_COLLECTIONS = {
    "digitalSkillsCollection_en.csv": "digital",
    "greenSkillsCollection_en.csv": "green",
    "transversalSkillsCollection_en.csv": "transversal",
    "languageSkillsCollection_en.csv": "language",
}
ESCO_SKILL_TYPES = {"skill/competence": "skill", "knowledge": "knowledge"}
ESCO_OCCUPATION_SKILLS = "occupationSkillRelations.csv"
ONET_TECH_FILE = "Technology Skills.txt"
STARTER_PATH = DEMO_DIR / "starter_framework.json"
csv.field_size_limit(10_000_000)


@dataclass
class SkillRow:
    """One skill as it goes into the `skills` table."""

    skill_id: str
    preferred_label: str
    alt_labels: list[str] = field(default_factory=list)
    description: str | None = None
    skill_type: str | None = None
    reuse_level: str | None = None
    parent_id: str | None = None
    collections: list[str] = field(default_factory=list)


def list_frameworks(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Loaded frameworks: id, name, version, skills, imported_at, source_path."""
    return rows(con, sql("frameworks/list"))


def store_framework(con: duckdb.DuckDBPyConnection, framework_id: str, name: str,
                    version: str | None, source_path: str | None,
                    skills: list[SkillRow],
                    occupation_skills: list[tuple[str, str, str]] | None = None
                    ) -> dict[str, Any]:
    """Replace a framework's skills in one transaction and return its `frameworks` row.

    occupation_skills: (occupation code, skill id, relation) triples, kept for crosswalks
    (lmi.nlp.crosswalks). Equivalents computed against the old skills are dropped.
    """
    params = {
        "framework_id": framework_id,
        "skill_id": [s.skill_id for s in skills],
        "preferred_label": [s.preferred_label for s in skills],
        "alt_labels": [s.alt_labels for s in skills],
        "description": [s.description for s in skills],
        "skill_type": [s.skill_type for s in skills],
        "reuse_level": [s.reuse_level for s in skills],
        "parent_id": [s.parent_id for s in skills],
        "collections": [s.collections for s in skills],
    }
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("frameworks/delete_skills"), {"framework_id": framework_id})
        if skills:
            con.execute(sql("frameworks/insert_skills"), params)
        _store_occupation_skills(con, framework_id, occupation_skills or [])
        con.execute(sql("crosswalks/delete_framework_equivalents"),
                    {"framework_id": framework_id})
        con.execute(sql("frameworks/upsert_framework"), {
            "framework_id": framework_id, "name": name, "version": version,
            "source_path": source_path})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return next(r for r in list_frameworks(con) if r["id"] == framework_id)


def _store_occupation_skills(con: duckdb.DuckDBPyConnection, framework_id: str,
                             triples: list[tuple[str, str, str]]) -> None:
    con.execute(sql("crosswalks/delete_occupation_skills"), {"framework_id": framework_id})
    if triples:
        occupation, skill, relation = (list(col) for col in zip(*triples, strict=True))
        con.execute(sql("crosswalks/insert_occupation_skills"), {
            "framework_id": framework_id, "occupation_code": occupation, "skill_id": skill,
            "relation": relation})


def guess_version(path: str | Path) -> str | None:
    """'esco-1.1.1' -> '1.1.1', 'ESCO dataset - v1.2.0 - ...zip' -> '1.2.0'."""
    found = re.search(r"v?(\d+(?:\.\d+)+)", Path(path).name)
    return found.group(1) if found else None


# ---------------------------------------------------------------- ESCO

class _Bundle:
    """The CSV files of a download, whether a folder or a .zip (members found by base name)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.suffix.lower() == ".zip" else None
        self.members = ({Path(n).name: n for n in self.zip.namelist()} if self.zip else {})

    def has(self, name: str) -> bool:
        return name in self.members if self.zip else (self.path / name).exists()

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        if not self.has(name):
            raise FileNotFoundError(f"{self.path}: no {name}")
        if self.zip:
            with self.zip.open(self.members[name]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        else:
            with open(self.path / name, encoding="utf-8-sig", newline="") as fh:
                yield fh


def _lines(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").splitlines() if v.strip()]


def _esco_type(value: str | None) -> str | None:
    return ESCO_SKILL_TYPES.get(value or "", value or None)


def _dedup(labels: list[str], exclude: str = "") -> list[str]:
    seen = {exclude.lower()}
    out = []
    for label in labels:
        if label.lower() not in seen:
            seen.add(label.lower())
            out.append(label)
    return out


def import_esco(con: duckdb.DuckDBPyConnection, path: str | Path, *,
                version: str | None = None) -> dict[str, Any]:
    """Import the official ESCO CSV download (folder or .zip) as framework 'esco'."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no ESCO download at {path}")
    bundle = _Bundle(path)
    skills: dict[str, SkillRow] = {}
    with bundle.open("skills_en.csv") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            uri, label = (rec.get("conceptUri") or "").strip(), (rec.get("preferredLabel") or "")
            if not uri or not label.strip():
                raise ValueError(f"{path}/skills_en.csv: line {line}: no conceptUri/preferredLabel")
            skills[uri] = SkillRow(
                skill_id=uri, preferred_label=label.strip(),
                alt_labels=_dedup(_lines(rec.get("altLabels")), label.strip()),
                description=(rec.get("description") or "").strip() or None,
                skill_type=_esco_type(rec.get("skillType")),
                reuse_level=rec.get("reuseLevel") or None)
    if bundle.has("broaderRelationsSkillPillar.csv"):
        with bundle.open("broaderRelationsSkillPillar.csv") as fh:
            for rec in csv.DictReader(fh):
                skill = skills.get(rec["conceptUri"])
                if skill is not None and skill.parent_id is None:
                    skill.parent_id = rec["broaderUri"] or None
    for file_name, collection in ESCO_COLLECTIONS.items():
        if not bundle.has(file_name):
            continue
        with bundle.open(file_name) as fh:
            for rec in csv.DictReader(fh):
                skill = skills.get(rec["conceptUri"])
                if skill is not None and collection not in skill.collections:
                    skill.collections.append(collection)
    occupation_skills = []
    if bundle.has(ESCO_OCCUPATION_SKILLS):
        with bundle.open(ESCO_OCCUPATION_SKILLS) as fh:
            occupation_skills = [(rec["occupationUri"], rec["skillUri"], rec["relationType"])
                                 for rec in csv.DictReader(fh) if rec.get("skillUri") in skills]
    return store_framework(con, "esco", "ESCO", version or guess_version(path),
                           str(path.resolve()), list(skills.values()), occupation_skills)


# ---------------------------------------------------------------- provider / starter

def _split(value: Any, sep: str = "|") -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(sep) if v.strip()]


def _provider_row(rec: dict[str, Any], where: str) -> SkillRow:
    skill_id, label = str(rec.get("id") or "").strip(), str(rec.get("label") or "").strip()
    if not skill_id or not label:
        raise ValueError(f"{where}: a skill needs a non-empty id and label (got {rec!r})")
    return SkillRow(
        skill_id=skill_id, preferred_label=label,
        alt_labels=_dedup(_split(rec.get("alt_labels")), label),
        description=str(rec.get("description") or "").strip() or None,
        skill_type=str(rec.get("type") or "").strip() or None,
        parent_id=str(rec.get("parent") or "").strip() or None,
        collections=_split(rec.get("collections")))


def _read_provider_csv(path: Path) -> tuple[dict[str, Any], list[SkillRow]]:
    out: list[SkillRow] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: line 1: missing column(s) {', '.join(sorted(missing))}; "
                             "expected id,label,alt_labels,description,parent")
        for rec in reader:
            where = f"{path}: line {reader.line_num}"
            if None in rec or any(v is None for v in rec.values()):
                raise ValueError(f"{where}: expected {len(reader.fieldnames or [])} fields")
            out.append(_provider_row(rec, where))
    return {}, out


def _read_provider_json(path: Path) -> tuple[dict[str, Any], list[SkillRow]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("skills"), list):
        raise ValueError(f"{path}: expected {{\"framework\": {{...}}, \"skills\": [...]}}")
    meta = data.get("framework") or {}
    out = []
    for i, rec in enumerate(data["skills"]):
        if not isinstance(rec, dict):
            raise ValueError(f"{path}: skills[{i}]: expected an object")
        out.append(_provider_row(rec, f"{path}: skills[{i}]"))
    return meta, out


def import_provider(con: duckdb.DuckDBPyConnection, path: str | Path, *, framework_id: str,
                    name: str | None = None, version: str | None = None) -> dict[str, Any]:
    """Import a provider's framework from CSV (id,label,alt_labels,description,parent) or JSON."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no framework file at {path}")
    reader = _read_provider_json if path.suffix.lower() == ".json" else _read_provider_csv
    meta, skills = reader(path)
    seen: set[str] = set()
    for i, skill in enumerate(skills):
        if skill.skill_id in seen:
            raise ValueError(f"{path}: row {i + 1}: duplicate skill id {skill.skill_id!r}")
        seen.add(skill.skill_id)
    return store_framework(con, framework_id, name or meta.get("name") or framework_id,
                           version or meta.get("version"), str(path.resolve()), skills)


def import_starter(con: duckdb.DuckDBPyConnection, path: str | Path | None = None
                   ) -> dict[str, Any]:
    """Import the packaged starter framework (lmi/demo/starter_framework.json) as 'starter'."""
    path = Path(path or STARTER_PATH)
    meta = json.loads(path.read_text(encoding="utf-8")).get("framework") or {}
    return import_provider(con, path, framework_id=meta.get("id") or "starter")


# ---------------------------------------------------------------- O*NET

def import_onet_technology(con: duckdb.DuckDBPyConnection, path: str | Path, *,
                           version: str | None = None) -> dict[str, Any]:
    """Import O*NET 'Technology Skills.txt' (file or its folder) as framework 'onet'."""
    path = Path(path)
    file = path / ONET_TECH_FILE if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"no O*NET technology file at {file}")
    skills: dict[str, SkillRow] = {}
    occupation_skills: list[tuple[str, str, str]] = []
    with open(file, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for rec in reader:
            name = (rec.get("Example") or "").strip()
            if not name:
                continue
            soc = (rec.get("O*NET-SOC Code") or "").strip()
            if soc:
                hot = rec.get("Hot Technology") == "Y"
                occupation_skills.append((soc, name, "hot_technology" if hot else "technology"))
            skill = skills.setdefault(name, SkillRow(
                skill_id=name, preferred_label=name, skill_type="technology",
                parent_id=(rec.get("Commodity Title") or "").strip() or None,
                description=(rec.get("Commodity Title") or "").strip() or None))
            for column, collection in (("Hot Technology", "hot_technology"),
                                       ("In Demand", "in_demand")):
                if rec.get(column) == "Y" and collection not in skill.collections:
                    skill.collections.append(collection)
    folder = path if path.is_dir() else path.parent
    return store_framework(con, "onet", "O*NET technology skills",
                           version or guess_version(folder), str(file.resolve()),
                           list(skills.values()), occupation_skills)
