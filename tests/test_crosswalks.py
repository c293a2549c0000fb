"""Occupation crosswalks and equivalent skills across frameworks (library and CLI)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.nlp import crosswalks as cw
from lmi.nlp import frameworks as fw
from lmi.nlp.embeddings import LabelIndex, get_encoder
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ESCO = "http://esco.example/esco/"   # hand-made concept IRIs (the importer keeps any)
# skill key: (preferred label, alternative labels)
ESCO_SKILLS = {
    "python": ("Python (computer programming)", ["Python"]),
    "sheets": ("use spreadsheets software", ["Microsoft Office Excel", "use spreadsheets"]),
    "weld": ("weld metal parts", ["welding"]),
    "vision": ("computer vision", ["matlab", "opencv"]),
    "matlab": ("MATLAB", []),
}
ESCO_OCCUPATIONS = {"dev": ["python", "matlab"], "accountant": ["sheets"], "welder": ["weld"]}
ONET_ROWS = [  # O*NET-SOC code, Example, Hot Technology
    ("15-1252.00", "Python", "Y"), ("15-1252.00", "The MathWorks MATLAB", "N"),
    ("13-2011.00", "Microsoft Excel", "Y"), ("13-2011.00", "Intuit QuickBooks", "N"),
]
CROSSWALK = [("dev", "15-1252.00"), ("accountant", "13-2011.00"), ("welder", "51-4121.00")]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _sources(tmp: Path) -> tuple[Path, Path, Path]:
    """A tiny ESCO download, O*NET technology file and Nesta-format crosswalk."""
    esco = tmp / "esco-1.1.1"
    esco.mkdir()
    _write_csv(esco / "skills_en.csv", ["conceptUri", "preferredLabel", "altLabels", "skillType"],
               [[f"{ESCO}skill/{k}", pref, "\n".join(alts), "skill/competence"]
                for k, (pref, alts) in ESCO_SKILLS.items()])
    _write_csv(esco / "occupationSkillRelations.csv",
               ["occupationUri", "relationType", "skillType", "skillUri"],
               [[f"{ESCO}occupation/{o}", "essential", "skill/competence", f"{ESCO}skill/{s}"]
                for o, skills in ESCO_OCCUPATIONS.items() for s in skills]
               + [[f"{ESCO}occupation/dev", "optional", "knowledge", f"{ESCO}skill/unknown"]])
    onet = tmp / "onet-29.3"
    onet.mkdir()
    _write_csv(onet / "Technology Skills.txt",
               ["O*NET-SOC Code", "Example", "Commodity Code", "Commodity Title",
                "Hot Technology", "In Demand"],
               [[soc, ex, "1", "Software", hot, "N"] for soc, ex, hot in ONET_ROWS],
               delimiter="\t")
    crosswalk = tmp / "esco_onet_crosswalk_MCC.csv"
    _write_csv(crosswalk, ["id", "esco_occupation", "onet_code", "confidence", "concept_uri"],
               [[str(i), o, soc, "1.0", f"{ESCO}occupation/{o}"]
                for i, (o, soc) in enumerate(CROSSWALK)])
    return esco, onet, crosswalk


@pytest.fixture()
def loaded(tmp_path):
    esco, onet, crosswalk = _sources(tmp_path)
    con = duckdb.connect()
    apply_schema(con)
    fw.import_esco(con, esco)
    fw.import_onet_technology(con, onet)
    cw.import_crosswalk(con, crosswalk)
    return con


def _equivalents(con, framework: str, skill: str) -> list[dict]:
    return cw.equivalents_of(con, framework, skill)


def test_occupation_relations_and_crosswalk_counts(loaded):
    relations = loaded.execute(
        "SELECT framework_id, relation, count(*) FROM framework_occupation_skills "
        "GROUP BY ALL ORDER BY ALL").fetchall()
    # the relation to an unknown skill is dropped; O*NET keeps the Hot Technology flag
    assert relations == [("esco", "essential", 4), ("onet", "hot_technology", 2),
                         ("onet", "technology", 2)]
    (row,) = cw.list_crosswalks(loaded)
    assert row["crosswalk_id"] == "esco_onet_crosswalk_MCC"
    assert (row["pairs"], row["source_codes_with_skills"], row["target_codes"],
            row["target_codes_with_skills"]) == (3, 3, 3, 2)


def test_equivalents_labels_and_occupation_support(loaded):
    summary = cw.compute_equivalents(loaded, "esco", "onet", get_encoder())
    assert summary["onet->esco"]["skills"] == 4
    python = _equivalents(loaded, "onet", "Python")
    assert python[0]["skill_id"] == f"{ESCO}skill/python"
    assert python[0]["match"] == "same_label" and python[0]["similarity"] == pytest.approx(1.0)
    assert (python[0]["shared_occupations"], python[0]["occupations"]) == (1, 1)
    excel = _equivalents(loaded, "onet", "Microsoft Excel")
    assert excel[0]["skill_id"] == f"{ESCO}skill/sheets"
    assert excel[0]["other_matched_label"] == "Microsoft Office Excel"
    assert excel[0]["shared_occupations"] == 1
    # "matlab" is an alternative label of two ESCO skills: the tie goes to the one the
    # crosswalked occupations back (and whose preferred label is closer)
    matlab = _equivalents(loaded, "onet", "The MathWorks MATLAB")
    assert [m["skill_id"] for m in matlab[:2]] == [f"{ESCO}skill/matlab", f"{ESCO}skill/vision"]
    assert matlab[0]["similarity"] == pytest.approx(matlab[1]["similarity"], abs=1e-3)
    # the other direction is stored too, and ranks are 1..n per skill
    back = _equivalents(loaded, "esco", f"{ESCO}skill/python")
    assert back[0]["skill_id"] == "Python"
    ranks = loaded.execute("SELECT framework_id, skill_id, list(rank ORDER BY rank) "
                           "FROM skill_equivalents GROUP BY ALL").fetchall()
    assert all(r == list(range(1, len(r) + 1)) for _, _, r in ranks)
    welding = _equivalents(loaded, "esco", f"{ESCO}skill/weld")
    assert all(e["similarity"] >= cw.RELATED for e in welding)


def test_reimport_drops_stale_equivalents(loaded, tmp_path):
    cw.compute_equivalents(loaded, "esco", "onet", get_encoder())
    assert loaded.execute("SELECT count(*) FROM skill_equivalents").fetchone()[0] > 0
    fw.import_onet_technology(loaded, tmp_path / "onet-29.3")
    assert loaded.execute("SELECT count(*) FROM skill_equivalents").fetchone()[0] == 0


def _random_index(rng: np.random.Generator, name: str, n_skills: int) -> LabelIndex:
    counts = rng.integers(1, 5, n_skills)
    skill_ids = np.repeat([f"{name}{i:03d}" for i in range(n_skills)], counts)
    vectors = rng.normal(size=(len(skill_ids), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    first = np.r_[True, skill_ids[1:] != skill_ids[:-1]]
    return LabelIndex(name, "1", "test", skill_ids, [f"l{i}" for i in range(len(skill_ids))],
                      first, vectors)


def test_best_pairs_match_brute_force(monkeypatch):
    rng = np.random.default_rng(0)
    a, b = _random_index(rng, "a", 40), _random_index(rng, "b", 25)
    monkeypatch.setattr(cw, "CHUNK_LABELS", 7)   # many chunks, skills split across none
    by_a, by_b = cw._best_pairs(a, b, top=3, floor=0.2, progress=None)
    full = np.maximum.reduceat(np.maximum.reduceat(a.vectors @ b.vectors.T, b.skill_starts,
                                                   axis=1), a.skill_starts, axis=0)
    want_a = {(i, int(j)) for i in range(len(a.skills))
              for j in np.argsort(-full[i])[:3] if full[i, j] >= 0.2}
    want_b = {(int(i), j) for j in range(len(b.skills))
              for i in np.argsort(-full[:, j])[:3] if full[i, j] >= 0.2}
    assert {(i, j) for i, j, _ in by_a} == want_a
    assert {(i, j) for i, j, _ in by_b} == want_b
    assert all(s == pytest.approx(full[i, j]) for i, j, s in by_a + by_b)


def test_crosswalk_formats_and_errors(tmp_path):
    con = duckdb.connect()
    apply_schema(con)
    generic = tmp_path / "mine.csv"
    _write_csv(generic, ["source_framework", "source_code", "target_framework", "target_code"],
               [["provider:acme", "A1", "esco", "x"], ["provider:acme", "A1", "esco", "x"]])
    row = cw.import_crosswalk(con, generic, crosswalk_id="acme")
    assert (row["source_framework"], row["target_framework"], row["pairs"]) == (
        "provider:acme", "esco", 1)
    noc = tmp_path / "noc.csv"
    _write_csv(noc, ["noc", "noc_title", "onet", "onet_title"], [["11", "x", "11-1011.00", "y"]])
    assert cw.import_crosswalk(con, noc)["source_framework"] == "noc2016"
    bad = tmp_path / "bad.csv"
    _write_csv(bad, ["a", "b"], [["1", "2"]])
    with pytest.raises(ValueError, match="unknown crosswalk format"):
        cw.import_crosswalk(con, bad)
    broken = tmp_path / "broken.csv"
    _write_csv(broken, ["concept_uri", "onet_code", "confidence"], [["u", "c", "high"]])
    with pytest.raises(ValueError, match="line 2"):
        cw.import_crosswalk(con, broken)
    assert len(cw.list_crosswalks(con)) == 2      # the failed files left nothing behind


def test_cli_crosswalk_match_equivalents_show(tmp_path):
    esco, onet, crosswalk = _sources(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(app, [*args, "--db", db, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    run("frameworks", "import", "esco", str(esco))
    run("frameworks", "import", "onet", str(onet))
    loaded = run("frameworks", "crosswalk", str(crosswalk))
    assert loaded["rows"][0]["pairs"] == 3
    summary = run("frameworks", "match", "esco", "onet")
    directions = {r["direction"]: r for r in summary["rows"]}
    assert directions["onet->esco"]["same_label"] >= 1
    pairs = run("frameworks", "equivalents", "--from", "onet", "--to", "esco",
                "--match", "same_label")
    assert {r["label"] for r in pairs["rows"]} >= {"Python"}
    shown = run("frameworks", "show", "python", "--framework", "esco")
    assert shown["meta"]["preferred_label"] == "Python (computer programming)"
    assert shown["rows"][0]["label"] == "Python" and shown["rows"][0]["framework"] == "onet"
    missing = runner.invoke(app, ["frameworks", "show", "cobol", "--db", db])
    assert missing.exit_code == 2 and "no skill 'cobol'" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    failed = runner.invoke(app, ["frameworks", "crosswalk", str(bad), "--db", db])
    assert failed.exit_code == 2 and "unknown crosswalk format" in failed.output
    same = runner.invoke(app, ["frameworks", "match", "esco", "esco", "--db", db])
    assert same.exit_code == 2


def test_nesta_crosswalk_on_shared_esco_and_onet():
    con = duckdb.connect()
    apply_schema(con)
    fw.import_esco(con, SHARED / "esco-1.1.1")
    fw.import_onet_technology(con, SHARED / "onet-29.3")
    with open(SHARED / "esco-1.1.1" / "occupationSkillRelations.csv", encoding="utf-8") as fh:
        known = {r[0] for r in con.execute("SELECT skill_id FROM skills "
                                           "WHERE framework_id = 'esco'").fetchall()}
        expected = {(r["occupationUri"], r["skillUri"]) for r in csv.DictReader(fh)
                    if r["skillUri"] in known}
    (n_esco,) = con.execute("SELECT count(DISTINCT (occupation_code, skill_id)) FROM "
                            "framework_occupation_skills WHERE framework_id = 'esco'").fetchone()
    assert n_esco == len(expected) > 100_000
    row = cw.import_crosswalk(con, SHARED / "crosswalks" / "esco_onet_crosswalk_MCC.csv")
    assert row["pairs"] == 1680
    # one ESCO v1.0 occupation URI is gone in 1.1.1; most O*NET codes have technologies
    assert row["source_codes_with_skills"] == 1679
    assert 400 < row["target_codes_with_skills"] < row["target_codes"]
