"""Microcredential catalogue import (CSV / JSON), listing, showing, and the CLI around them."""

from __future__ import annotations

import csv
import json
import re

import pytest
from typer.testing import CliRunner

from lmi.cli import cmd_credentials
from lmi.cli.main import app
from lmi.config import DEMO_DIR
from lmi.nlp.types import Extraction, SkillMention
from lmi.warehouse.credentials import (
    CatalogueError,
    import_catalogue,
    list_credentials,
    show_credential,
)
from lmi.warehouse.db import WarehouseError, connect

runner = CliRunner()
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
KEYWORDS = {"python": ("py", "Python (computer programming)"), "sql": ("sql", "SQL"),
            "forklift": ("fork", "operate forklift"), "inventory": ("inv", "manage inventory"),
            "customers": ("cust", "customer service")}


class FakeExtractor:
    """Finds the KEYWORDS in each text (whole words, case-insensitive); confidence 0.8."""

    version = "fake-1"

    def __init__(self):
        self.calls = 0

    def extract_many(self, texts):
        self.calls += 1
        out = []
        for text in texts:
            skills = []
            for word, (sid, label) in KEYWORDS.items():
                for m in re.finditer(rf"\b{word}\b", text, flags=re.I):
                    skills.append(SkillMention("test", sid, label, m.group(0), m.start(),
                                               m.end(), 0.8, "exact"))
            out.append(Extraction(skills=skills))
        return out


GOOD_CSV = """id,title,provider,description,learning_outcomes
d1,Python for Data,Acme College,Intro course,\
Write Python scripts|Query databases with SQL|Use Python and SQL together
,Warehouse Basics,Acme College,,"Operate a forklift
Count inventory"
,Service Skills,Acme College,Front line,Serve customers well|Handle complaints
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    connection.execute("INSERT INTO skills (framework_id, skill_id, preferred_label) VALUES "
                       "('test', 'py', 'Python (computer programming)'), ('test', 'sql', 'SQL')")
    yield connection
    connection.close()


def _count(con, table):
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_import_csv_maps_outcomes(con, tmp_path):
    path = _write(tmp_path, "cat.csv", GOOD_CSV)
    summary = import_catalogue(con, path, FakeExtractor())
    assert summary | {"file": None} == {
        "file": None, "credentials": 3, "new": 3, "updated": 0, "outcomes": 7,
        # py, sql, py+sql (2), fork, inv, cust -> 7 links; "Handle complaints" maps to nothing
        "skill_links": 7, "unmapped_outcomes": 1, "extractor_version": "fake-1"}
    listed = {r["title"]: r for r in list_credentials(con)}
    assert listed["Python for Data"]["credential_id"] == "d1"
    assert (listed["Python for Data"]["outcomes"], listed["Python for Data"]["skills"]) == (3, 2)
    assert listed["Warehouse Basics"]["outcomes"] == 2        # newline-separated outcomes
    shown = show_credential(con, "d1")
    assert [o["text"] for o in shown["outcomes"]] == [
        "Write Python scripts", "Query databases with SQL", "Use Python and SQL together"]
    third = shown["outcomes"][2]["skills"]
    assert {(s["skill_id"], s["matched_text"], s["label"]) for s in third} == {
        ("py", "Python", "Python (computer programming)"), ("sql", "SQL", "SQL")}
    assert all(s["confidence"] == pytest.approx(0.8) and s["method"] == "exact" for s in third)
    assert show_credential(con, "warehouse basics")["title"] == "Warehouse Basics"


def test_reimport_is_idempotent(con, tmp_path):
    path = _write(tmp_path, "cat.csv", GOOD_CSV)
    import_catalogue(con, path, FakeExtractor())
    before = (_count(con, "microcredentials"), _count(con, "credential_skills"))
    again = import_catalogue(con, path, FakeExtractor())
    assert (again["new"], again["updated"]) == (0, 3)
    assert (_count(con, "microcredentials"), _count(con, "credential_skills")) == before
    # same title + provider, no id, new outcomes: updated in place, not duplicated
    changed = _write(tmp_path, "v2.csv", "title,provider,learning_outcomes\n"
                                         "Service Skills,Acme College,Serve customers|Use SQL\n")
    result = import_catalogue(con, changed, FakeExtractor())
    assert (result["new"], result["updated"]) == (0, 1)
    assert _count(con, "microcredentials") == 3
    rows = con.execute("SELECT skill_id FROM credential_skills JOIN microcredentials "
                       "USING (credential_id) WHERE title = 'Service Skills' "
                       "ORDER BY skill_id").fetchall()
    assert rows == [("cust",), ("sql",)]


@pytest.mark.parametrize(("text", "line", "problem"), [
    # the multi-line row spans lines 3-4, so the appended bad row is on line 6
    (GOOD_CSV + ",,Acme College,no title,Do something\n", 6, "missing title"),
    ("id,title,provider,description,learning_outcomes\n"
     'x,"Multi",P,D,"a\nb"\ny,,P,D,c\n', 4, "missing title"),
    ("name,provider,learning_outcomes\nA,B,C\n", 1, "wrong columns"),
    ("title,learning_outcomes\nA,B,extra\n", 2, "3 fields, expected 2"),
    ("title,learning_outcomes\nOnly a title,\n", 2, "no learning outcomes"),
    ("title,learning_outcomes\nSame,a\nSame,b\n", 3, "duplicate credential"),
])
def test_malformed_csv_names_file_and_line(con, tmp_path, text, line, problem):
    import_catalogue(con, _write(tmp_path, "good.csv", GOOD_CSV), FakeExtractor())
    snapshot = con.execute("SELECT * FROM credential_skills ORDER BY ALL").fetchall()
    bad = _write(tmp_path, "bad.csv", text)
    extractor = FakeExtractor()
    with pytest.raises(CatalogueError) as err:
        import_catalogue(con, bad, extractor)
    assert err.value.line == line and problem in str(err.value)
    assert "bad.csv" in str(err.value) and f"line {line}" in str(err.value)
    assert extractor.calls == 0                                      # failed before mapping
    assert _count(con, "microcredentials") == 3
    assert con.execute("SELECT * FROM credential_skills ORDER BY ALL").fetchall() == snapshot


def test_import_json(con, tmp_path):
    good = [{"id": "j1", "title": "Data JSON", "provider": "P",
             "learning_outcomes": ["Use Python", "Write SQL"]},
            {"title": "Forklift JSON", "learning_outcomes": "Drive a forklift | Count inventory"}]
    summary = import_catalogue(con, _write(tmp_path, "c.json", json.dumps(good, indent=2)),
                               FakeExtractor())
    assert (summary["credentials"], summary["outcomes"], summary["skill_links"]) == (2, 4, 4)
    assert [o["text"] for o in show_credential(con, "j1")["outcomes"]] == ["Use Python",
                                                                           "Write SQL"]


@pytest.mark.parametrize(("text", "line", "problem"), [
    ('[\n  {"title": "A", "learning_outcomes": ["x"]},\n  {"title": "B",,}\n]', 3, "bad JSON"),
    ('[\n  {"title": "A", "learning_outcomes": ["x"]},\n\n  {"provider": "P",\n'
     '   "learning_outcomes": ["y"]}\n]', 4, "missing title"),
    ('[\n {"title": "A", "learning_outcomes": ["x"], "hours": 3}\n]', 2, "unknown field"),
    ('{"title": "A"}', 1, "expected a JSON list"),
])
def test_malformed_json_names_line(con, tmp_path, text, line, problem):
    import_catalogue(con, _write(tmp_path, "good.csv", GOOD_CSV), FakeExtractor())
    with pytest.raises(CatalogueError) as err:
        import_catalogue(con, _write(tmp_path, "bad.json", text), FakeExtractor())
    assert err.value.line == line and problem in str(err.value) and "bad.json" in str(err.value)
    assert _count(con, "microcredentials") == 3


def test_extractor_failure_keeps_earlier_data(con, tmp_path):
    import_catalogue(con, _write(tmp_path, "good.csv", GOOD_CSV), FakeExtractor())

    class Broken(FakeExtractor):
        def extract_many(self, texts):
            return super().extract_many(texts)[:-1]

    with pytest.raises(WarehouseError, match="different number"):
        import_catalogue(con, _write(tmp_path, "v2.csv", "title,learning_outcomes\nNew,Python\n"),
                         Broken())
    assert _count(con, "microcredentials") == 3 and _count(con, "credential_skills") == 7


def test_sample_catalogue_is_realistic():
    with (DEMO_DIR / "sample_catalogue.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert 8 <= len(rows) <= 15
    assert all(3 <= len(r["learning_outcomes"].split("|")) <= 6 for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    text = " ".join(" ".join(r.values()) for r in rows).lower()
    assert "python" in text and "heat pump" in text
    assert "generative" not in text and "llm" not in text and "machine learning" not in text


def test_cli_import_list_show(tmp_path, monkeypatch):
    db = tmp_path / "cli.duckdb"
    connect(db).close()
    monkeypatch.setattr(cmd_credentials, "build_extractor", lambda con: FakeExtractor())
    sample = DEMO_DIR / "sample_catalogue.csv"
    result = runner.invoke(app, ["credentials", "import", str(sample), "--db", str(db),
                                 "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"][0]["credentials"] == 10
    listed = runner.invoke(app, ["credentials", "list", "--db", str(db), "--format", "json"],
                           env=ENV)
    rows = {r["credential_id"]: r for r in json.loads(listed.stdout)["rows"]}
    assert rows["nrc-dat-101"]["title"] == "Applied Python for Data Analysis"
    assert rows["nrc-dat-101"]["skills"] == 2                         # python, sql
    shown = runner.invoke(app, ["credentials", "show", "nrc-dat-101", "--db", str(db),
                                "--format", "json"], env=ENV)
    outcome = json.loads(shown.stdout)["outcomes"][0]
    assert outcome["skills"][0]["matched_text"] == "Python"
    table = runner.invoke(app, ["credentials", "show", "nrc-dat-101", "--db", str(db)], env=ENV)
    assert "Applied Python for Data Analysis" in table.output and "pandas" in table.output
    unknown = runner.invoke(app, ["credentials", "show", "nrc-dat-10", "--db", str(db)], env=ENV)
    assert unknown.exit_code == 2 and "nrc-dat-101" in unknown.output


def test_cli_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(cmd_credentials, "build_extractor", lambda con: FakeExtractor())
    missing = runner.invoke(app, ["credentials", "list", "--db", str(tmp_path / "no.duckdb")],
                            env=ENV)
    assert missing.exit_code == 2 and "no warehouse" in missing.output
    db = tmp_path / "cli.duckdb"
    connect(db).close()
    bad = _write(tmp_path, "bad.csv", "title,learning_outcomes\n,oops\n")
    result = runner.invoke(app, ["credentials", "import", str(bad), "--db", str(db)], env=ENV)
    assert result.exit_code == 2
    assert "bad.csv, line 2: missing title" in " ".join(result.output.split())


# ---------------------------------------------------------------- YAML, Open Badges 3.0, CTDL

OB3 = {
    # a real badge names the W3C VC v2 and OB 3.0 context IRIs here; the reader ignores
    # @context (identifiers, never fetched), so placeholders keep the shape without hosts
    "@context": ["urn:example:credentials-v2", "urn:example:ob-v3p0-context"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://college.example/issuer", "type": ["Profile"],
               "name": "Acme College"},
    "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
        "id": "https://college.example/achievements/py", "type": ["Achievement"],
        "name": "Python Badge", "description": "Scripting basics.",
        "criteria": {"narrative": "- Write Python scripts\n- Query data with SQL"},
        "alignment": [{"type": ["Alignment"], "targetName": "manage inventory",
                       "targetUrl": "https://credentials.example/skills/inv"}]}},
}
CTDL = {
    "@context": "urn:example:ctdl-context",   # a real file names the CTDL context IRI
    "@graph": [
        {"@id": "https://credentials.example/resources/ce-1", "@type": "ceterms:Certificate",
         "ceterms:ctid": "ce-1", "ceterms:name": {"en-US": "Forklift Certificate"},
         "ceterms:description": {"en-US": "Warehouse operations."},
         "ceterms:teaches": [
             {"@type": "ceterms:CredentialAlignmentObject",
              "ceterms:targetNodeName": {"en-US": "Operate a forklift safely"}},
             {"@type": "ceterms:CredentialAlignmentObject",
              "ceterms:targetNode": "https://credentials.example/resources/ce-comp-1"}]},
        {"@id": "https://credentials.example/resources/ce-comp-1", "@type": "ceasn:Competency",
         "ceasn:competencyText": {"en-US": "Serve customers at the counter"}},
    ],
}


def _skills_of(con, credential_id):
    return sorted(r[0] for r in con.execute(
        "SELECT DISTINCT skill_id FROM credential_skills WHERE credential_id = ?",
        [credential_id]).fetchall())


def test_import_open_badges_3(con, tmp_path):
    path = _write(tmp_path, "badge.json", json.dumps(OB3))
    summary = import_catalogue(con, path, FakeExtractor())
    assert summary["credentials"] == 1 and summary["outcomes"] == 3
    cred = show_credential(con, "https://college.example/achievements/py")
    assert cred["title"] == "Python Badge" and cred["provider"] == "Acme College"
    assert [o["text"] for o in cred["outcomes"]][:2] == ["Write Python scripts",
                                                         "Query data with SQL"]
    assert "https://credentials.example/skills/inv" in cred["outcomes"][2]["text"]
    assert _skills_of(con, "https://college.example/achievements/py") == ["inv", "py", "sql"]


def test_import_ctdl_graph(con, tmp_path):
    path = _write(tmp_path, "ctdl.jsonld", json.dumps(CTDL))
    summary = import_catalogue(con, path, FakeExtractor())
    assert summary["credentials"] == 1
    cred = show_credential(con, "ce-1")
    assert cred["title"] == "Forklift Certificate"
    assert cred["description"] == "Warehouse operations."
    assert [o["text"] for o in cred["outcomes"]] == ["Operate a forklift safely",
                                                     "Serve customers at the counter"]
    assert _skills_of(con, "ce-1") == ["cust", "fork"]


def test_import_yaml_and_its_errors(con, tmp_path):
    good = _write(tmp_path, "cat.yaml", "credentials:\n  - title: SQL Basics\n"
                                        "    provider: Acme\n    learning_outcomes:\n"
                                        "      - Write SQL queries\n      - Count inventory\n")
    assert import_catalogue(con, good, FakeExtractor())["skill_links"] == 2
    bad = _write(tmp_path, "bad.yml", "credentials:\n  - title: [unclosed\n")
    with pytest.raises(CatalogueError, match="bad.yml.*YAML"):
        import_catalogue(con, bad, FakeExtractor())
    wrong = _write(tmp_path, "wrong.yaml", "- title: X\n  outcomes: [a]\n")
    with pytest.raises(CatalogueError, match="unknown field"):
        import_catalogue(con, wrong, FakeExtractor())
