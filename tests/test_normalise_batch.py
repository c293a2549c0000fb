"""Batch normalisation: same rows as the per-posting path, reference caches, sector eval CLI."""

import json
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.normalise import location, occupation
from lmi.normalise.posting import normalise_posting, normalise_postings
from lmi.normalise.reference import load_starter_reference
from lmi.normalise.refstamp import STARTER, reference_stamp
from lmi.normalise.sector import (
    SectorEvidence,
    classify_sector,
    classify_sectors,
    sector_classifier,
)
from lmi.warehouse.db import apply_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_normalise import demo_raw_rows  # noqa: E402


@pytest.fixture(scope="module")
def starter_con():
    con = duckdb.connect()
    apply_schema(con)
    load_starter_reference(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def raws():
    rows, _ = demo_raw_rows(120)
    # edge cases in the same batch: no title, no location, nothing but an unknown employer
    rows[3] = dict(rows[3], title=None, location_raw=None, occupational_category=None)
    rows[4] = dict(rows[4], occupational_category=None, industry=None, employer="Nobody Ltd")
    return rows


def test_batch_equals_single_path(monkeypatch, starter_con, raws):
    monkeypatch.setenv("LMI_NOC_EMBEDDINGS", "0")
    batch = normalise_postings(raws, con=starter_con)
    single = [normalise_posting(r, con=starter_con) for r in raws]
    assert batch == single
    assert len(batch) == len(raws) and normalise_postings([], con=starter_con) == []
    coded = [b for b, r in zip(batch, raws, strict=True) if not r.get("occupational_category")]
    assert any(b["noc_code"] for b in coded)  # the coder really ran in the batch
    assert batch[3]["title"] is None and batch[3]["noc_code"] is None


def test_coder_batch_matches_single_titles(monkeypatch):
    monkeypatch.setenv("LMI_NOC_EMBEDDINGS", "0")
    coder = occupation.get_coder(None)
    titles = ["Senior Software Engineer - Remote", "RN (ICU)", "", "Cuisinier", "RN (ICU)"]
    many = coder.code_many(titles)
    assert many == [coder.code(t) for t in titles]
    assert many[2].code is None and many[1] == many[4]


def test_sector_batch_matches_single():
    items = [
        SectorEvidence(industry="Hospital & Health Care"),
        SectorEvidence(employer="Shoppers Drug Mart Inc.", title="Cashier"),
        SectorEvidence(title="Line Cook", description="Our restaurant kitchen is hiring."),
        SectorEvidence(title="Analyst"),
    ]
    batch = classify_sectors(items, sector_classifier(None))
    single = [classify_sector(**vars(e)) for e in items]
    assert batch == single
    assert [b.source for b in batch] == ["industry", "employer", "classifier", None]


def test_caches_follow_the_reference_stamp(starter_con):
    stamp = reference_stamp(starter_con)
    assert stamp.geo is not None and stamp.noc is not None
    assert reference_stamp(None) == STARTER
    assert location.geo_index(starter_con) is location.geo_index(starter_con, stamp=stamp.geo)
    con = duckdb.connect()
    apply_schema(con)
    load_starter_reference(con)
    con.execute("DELETE FROM ref_fsa WHERE fsa = 'K1A'")
    changed = reference_stamp(con)
    assert changed.geo != stamp.geo and changed.noc[0][1] == stamp.noc[0][1]
    assert location.geo_index(con) is not location.geo_index(starter_con)
    assert "K1A" not in location.geo_index(con).fsa


def test_embeddings_default_off_for_starter_titles_only(monkeypatch, starter_con):
    monkeypatch.delenv("LMI_NOC_EMBEDDINGS", raising=False)
    assert occupation.embeddings_enabled(reference_stamp(starter_con).noc) is False
    assert occupation.embeddings_enabled(None) is False
    imported = (("ref_noc", 822, "imported", "t"), ("ref_noc_titles", 9, "imported", "t"))
    assert occupation.embeddings_enabled(imported) is True
    monkeypatch.setenv("LMI_NOC_EMBEDDINGS", "1")
    assert occupation.embeddings_enabled(None) is True


def test_eval_sectors_cli(tmp_path):
    data = tmp_path / "sectors.csv"
    data.write_text(
        "industry,employer,title,description_snippet,naics_sector,split\n"
        "Hospital & Health Care,,Registered Nurse,Care on a medical unit.,62,dev\n"
        ",RBC,Client Advisor,Help clients with banking.,522,dev\n"
        ",,Line Cook,Our restaurant kitchen is hiring cooks.,72,blind\n"
        ",,Analyst,,54,blind\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    out = runner.invoke(app, ["eval", "sectors", "--dataset", str(data), "--format", "json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    rows = {r["group"]: r for r in payload["rows"]}
    assert rows["overall"]["rows"] == 4 and rows["overall"]["answered"] == 3
    assert rows["overall"]["accuracy"] == 0.75 and rows["overall"]["answered_accuracy"] == 1.0
    assert rows["source: employer"]["rows"] == 1
    assert rows["source: none (unknown)"]["top_confusions"] == ["54->unknown x1"]
    assert [e["title"] for e in payload["meta"]["errors"]] == ["Analyst"]
    blind = runner.invoke(
        app, ["eval", "sectors", "-d", str(data), "--split", "blind", "--format", "json"]
    )
    assert json.loads(blind.output)["rows"][0]["rows"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("title,naics_sector\nCook,72\n", encoding="utf-8")
    missing = runner.invoke(app, ["eval", "sectors", "--dataset", str(bad)])
    assert missing.exit_code != 0 and "industry" in missing.output
