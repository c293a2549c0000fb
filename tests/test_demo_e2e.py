"""End to end: the demo pipeline on a small board, driven through the CLI."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from lmi.cli.main import app

runner = CliRunner()


def test_demo_pipeline_end_to_end(tmp_path):
    db = tmp_path / "demo.duckdb"
    r = runner.invoke(app, ["demo", "--db", str(db), "--postings", "300", "--limit", "5"])
    assert r.exit_code == 0, r.output
    assert "SYNTHETIC DATA" in r.output
    assert "Demo summary" in r.output and str(db.name) in r.output
    html = tmp_path / "demo-report.html"
    assert html.exists() and "<svg" in html.read_text(encoding="utf-8")

    con = duckdb.connect(str(db), read_only=True)
    try:
        raw = con.execute("SELECT count(*), count(DISTINCT url), min(fetched_at) IS NOT NULL, "
                          "bool_and(jsonld IS NOT NULL) FROM raw_postings").fetchone()
        assert raw[0] == raw[1] >= 280  # every board posting crawled once (a few pages are bad)
        assert raw[2] and raw[3]
        n_postings, n_with_skills = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE posting_id IN "
            "(SELECT posting_id FROM posting_skills)) FROM postings").fetchone()
        assert n_postings == raw[0]
        assert n_with_skills / n_postings > 0.8
        # evidence spans point at the text they claim
        bad = con.execute(
            "SELECT count(*) FROM posting_skills s JOIN postings p USING (posting_id) "
            "WHERE substr(p.description, s.start_char + 1, s.end_char - s.start_char) "
            "<> s.matched_text").fetchone()[0]
        assert bad == 0
        assert con.execute("SELECT count(*) FROM posting_skills WHERE confidence < 0 "
                           "OR confidence > 1").fetchone()[0] == 0
        provinces = con.execute("SELECT count(DISTINCT province) FROM postings "
                                "WHERE province IS NOT NULL").fetchone()[0]
        assert provinces >= 6
        assert con.execute("SELECT count(*) FROM microcredentials").fetchone()[0] >= 5
    finally:
        con.close()

    r = runner.invoke(app, ["skills", "top", "--db", str(db), "--format", "json", "--limit", "5"])
    assert r.exit_code == 0, r.output
    top = json.loads(r.output)
    assert len(top["rows"]) == 5
    r = runner.invoke(app, ["report", "gaps", "--db", str(db), "--format", "json"])
    assert r.exit_code == 0, r.output


def test_demo_refuses_to_overwrite_a_real_warehouse(tmp_path):
    db = tmp_path / "real.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sources (source_id VARCHAR)")
    con.execute("INSERT INTO sources VALUES ('college-board')")
    con.close()
    r = runner.invoke(app, ["demo", "--db", str(db), "--postings", "60"])
    assert r.exit_code == 2
    assert "non-demo data" in r.output
