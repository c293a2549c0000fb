"""Framework import: ESCO (folder and zip), provider CSV/JSON, starter, O*NET, and the CLI."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.config import DEMO_DIR
from lmi.nlp import frameworks as fw
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ESCO = SHARED / "data" / "esco-1.1.1"
ONET = SHARED / "data" / "onet-29.3"
COLLECTION_FILES = {
    "digital": "digitalSkillsCollection_en.csv",
    "green": "greenSkillsCollection_en.csv",
    "transversal": "transversalSkillsCollection_en.csv",
    "language": "languageSkillsCollection_en.csv",
}


def _new_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    return con


def _csv_uris(name: str) -> list[str]:
    with open(ESCO / name, encoding="utf-8", newline="") as fh:
        return [r["conceptUri"] for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def esco_con():
    con = _new_con()
    info = fw.import_esco(con, ESCO)
    return con, info


def _skill(con, framework_id: str, skill_id: str) -> dict:
    cur = con.execute("SELECT * FROM skills WHERE framework_id = ? AND skill_id = ?",
                      [framework_id, skill_id])
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else {}


def test_esco_counts_and_version(esco_con):
    con, info = esco_con
    assert info["skills"] == len(_csv_uris("skills_en.csv")) == 13896
    assert info["version"] == "1.1.1"
    (count,) = con.execute("SELECT count(*) FROM skills WHERE framework_id = 'esco'").fetchone()
    assert count == 13896


def test_esco_known_skill_labels(esco_con):
    con, _ = esco_con
    # the concept IRI as the official file writes it (read there, so no host is spelled here)
    with (ESCO / "skills_en.csv").open(newline="", encoding="utf-8") as fh:
        uri = next(r["conceptUri"] for r in csv.DictReader(fh)
                   if r["conceptUri"].endswith("/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"))
    skill = _skill(con, "esco", uri)
    assert skill["preferred_label"] == "manage musical staff"
    assert {"manage music staff", "direct musical staff"} <= set(skill["alt_labels"])
    assert "manage musical staff" not in skill["alt_labels"]   # preferred label not repeated
    assert skill["skill_type"] == "skill"
    assert skill["reuse_level"] == "sector-specific"
    assert skill["description"].startswith("Assign and manage staff tasks")


def test_esco_collections_match_files(esco_con):
    con, _ = esco_con
    known = set(_csv_uris("skills_en.csv"))
    for collection, file_name in COLLECTION_FILES.items():
        expected = len(set(_csv_uris(file_name)) & known)
        (got,) = con.execute(
            "SELECT count(*) FROM skills WHERE framework_id = 'esco' "
            "AND list_contains(collections, ?)", [collection]).fetchone()
        assert got == expected > 0, collection


def test_esco_parents(esco_con):
    con, _ = esco_con
    total, with_parent = con.execute(
        "SELECT count(*), count(parent_id) FROM skills WHERE framework_id = 'esco'").fetchone()
    assert with_parent / total > 0.95
    with open(ESCO / "broaderRelationsSkillPillar.csv", encoding="utf-8", newline="") as fh:
        rec = next(r for r in csv.DictReader(fh) if r["conceptType"] == "KnowledgeSkillCompetence")
    broader = _skill(con, "esco", rec["conceptUri"])["parent_id"]
    assert broader == rec["broaderUri"]


def test_esco_reimport_is_idempotent(esco_con):
    con, _ = esco_con
    again = fw.import_esco(con, ESCO, version="custom")
    assert again["skills"] == 13896 and again["version"] == "custom"
    (count,) = con.execute("SELECT count(*) FROM skills").fetchone()
    assert count == 13896
    (frameworks,) = con.execute("SELECT count(*) FROM frameworks").fetchone()
    assert frameworks == 1


def test_esco_zip_import(tmp_path):
    archive = tmp_path / "ESCO dataset - v1.1.1 - classification - en - csv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["skills_en.csv", "broaderRelationsSkillPillar.csv",
                     *COLLECTION_FILES.values()]:
            zf.write(ESCO / name, arcname=f"esco/{name}")
    con = _new_con()
    info = fw.import_esco(con, archive)
    assert info["skills"] == 13896
    assert info["version"] == "1.1.1"
    (digital,) = con.execute("SELECT count(*) FROM skills "
                             "WHERE list_contains(collections, 'digital')").fetchone()
    assert digital > 0


def test_provider_csv_and_malformed_row(tmp_path):
    good = tmp_path / "acme.csv"
    good.write_text(
        "id,label,alt_labels,description,parent\n"
        "A1,Welding,MIG welding|TIG welding,Joining metals,\n"
        "A2,Blueprint reading,reading drawings,,A1\n", encoding="utf-8")
    con = _new_con()
    info = fw.import_provider(con, good, framework_id="provider:acme", name="Acme")
    assert info["skills"] == 2 and info["name"] == "Acme"
    skill = _skill(con, "provider:acme", "A1")
    assert skill["alt_labels"] == ["MIG welding", "TIG welding"]
    assert _skill(con, "provider:acme", "A2")["parent_id"] == "A1"

    bad = tmp_path / "broken.csv"
    bad.write_text("id,label,alt_labels,description,parent\n"
                   "B1,Welding,,,\n"
                   "B2,,no label here,,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.csv: line 3"):
        fw.import_provider(con, bad, framework_id="provider:broken")
    assert not _skill(con, "provider:broken", "B1"), "a failed import writes nothing"

    short = tmp_path / "short.csv"
    short.write_text("id,label,alt_labels,description,parent\nC1,Welding\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"short\.csv: line 2"):
        fw.import_provider(con, short, framework_id="provider:short")


def test_provider_json_and_starter(tmp_path):
    path = tmp_path / "fw.json"
    path.write_text(json.dumps({
        "framework": {"id": "x", "name": "Tiny", "version": "0.3"},
        "skills": [{"id": "T1", "label": "Python", "alt_labels": ["python 3"],
                    "type": "technology", "collections": ["digital"]},
                   {"id": "T2", "label": "Teamwork", "parent": "T1"}]}))
    con = _new_con()
    info = fw.import_provider(con, path, framework_id="tiny")
    assert (info["name"], info["version"], info["skills"]) == ("Tiny", "0.3", 2)
    assert _skill(con, "tiny", "T1")["collections"] == ["digital"]

    path.write_text(json.dumps({"skills": [{"id": "T1"}]}))
    with pytest.raises(ValueError, match=r"skills\[0\]"):
        fw.import_provider(con, path, framework_id="tiny")

    starter = json.loads((DEMO_DIR / "starter_framework.json").read_text(encoding="utf-8"))
    info = fw.import_starter(con)
    assert info["skills"] == len(starter["skills"]) > 0
    assert {f["id"] for f in fw.list_frameworks(con)} == {"tiny", info["id"]}


def test_onet_technology():
    con = _new_con()
    info = fw.import_onet_technology(con, ONET)
    hot, demand, examples = set(), set(), set()
    with open(ONET / "Technology Skills.txt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            examples.add(r["Example"])
            if r["Hot Technology"] == "Y":
                hot.add(r["Example"])
            if r["In Demand"] == "Y":
                demand.add(r["Example"])
    assert info["skills"] == len(examples)
    assert info["version"] == "29.3"
    (n_hot,) = con.execute("SELECT count(*) FROM skills WHERE framework_id = 'onet' "
                           "AND list_contains(collections, 'hot_technology')").fetchone()
    (n_demand,) = con.execute("SELECT count(*) FROM skills WHERE framework_id = 'onet' "
                              "AND list_contains(collections, 'in_demand')").fetchone()
    assert n_hot == len(hot) > 0 and n_demand == len(demand) > 0
    some_hot = sorted(hot)[0]
    skill = _skill(con, "onet", some_hot)
    assert skill["skill_type"] == "technology" and skill["parent_id"]


def test_cli_import_and_list(tmp_path):
    runner = CliRunner()
    db = tmp_path / "w.duckdb"
    source = tmp_path / "my skills.csv"
    source.write_text("id,label,alt_labels,description,parent\nZ1,Carpentry,woodwork,,\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["frameworks", "import", "provider", str(source), "--no-embed",
                                 "--name", "Mine", "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["frameworks", "import", "onet", str(ONET), "--no-embed",
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["frameworks", "list", "--format", "json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["provider:my-skills"]["skills"] == 1
    assert rows["provider:my-skills"]["name"] == "Mine"
    assert rows["onet"]["version"] == "29.3" and rows["onet"]["skills"] > 1000
    assert {"id", "name", "version", "skills", "imported_at"} <= set(rows["onet"])


def test_cli_errors(tmp_path):
    runner = CliRunner()
    db = tmp_path / "w.duckdb"
    missing = runner.invoke(app, ["frameworks", "import", "esco", str(tmp_path / "nope"),
                                  "--no-embed", "--db", str(db)])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    no_path = runner.invoke(app, ["frameworks", "import", "onet", "--no-embed", "--db", str(db)])
    assert no_path.exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n,\n", encoding="utf-8")
    malformed = runner.invoke(app, ["frameworks", "import", "provider", str(bad), "--no-embed",
                                    "--db", str(db)])
    assert malformed.exit_code == 2 and "line 2" in malformed.output
