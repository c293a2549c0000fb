"""NOC coding: title cleaning, the n-gram coder on starter titles, and the eval CLIs."""

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.normalise.occupation import get_coder
from lmi.normalise.reference import import_noc, import_oasis
from lmi.normalise.title_clean import title_variants
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
runner = CliRunner()


def test_title_cleaning():
    assert title_variants("Sr. Software Engineer - Backend (Remote)")[0] == "software engineer"
    assert "registered nurse" in title_variants("RN - Emergency Department")
    assert "personal support worker" in title_variants("PSW - Home Care")
    assert "developer" in title_variants("Développeur / Developer")
    assert title_variants("Préposé aux bénéficiaires")[0] == "personal support worker"


@pytest.fixture(scope="module")
def coder():
    """n-gram coder over the imported OaSIS titles (no sentence model: fast)."""
    con = duckdb.connect()
    apply_schema(con)
    import_noc(con, SHARED / "canada-noc-oasis")
    import_oasis(con, SHARED / "canada-noc-oasis")
    return get_coder(con, use_embeddings=False)


@pytest.mark.parametrize(
    "title, code",
    [
        ("Registered Nurse (RN) - ICU", "31301"),
        ("PSW - Home Care", "33102"),
        ("Senior Java Developer", "21232"),
        ("Électricien", "72200"),
        ("Truck Driver - AZ", "73300"),
        ("Cashier", "65100"),
    ],
)
def test_coder_top5_on_starter_titles(coder, title, code):
    res = coder.code(title)
    assert len(res.alternatives) == 5
    assert code in [c for c, _ in res.alternatives]
    assert res.score == res.alternatives[0][1] and res.score > 0


def test_empty_title_is_unknown(coder):
    assert coder.code("").code is None


@pytest.mark.parametrize(
    "title, code",
    [
        ("Cashier", "65100"),
        ("Truck Driver - AZ", "73300"),
        ("Plumber", "72300"),
    ],
)
def test_starter_titles_code_common_jobs(title, code):
    res = get_coder(None, use_embeddings=False).code(title)
    assert res.code == code and 0 < res.score <= 1


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_eval_occupations_cli(tmp_path):
    data = _write(
        tmp_path,
        "t.csv",
        "title,noc_code,extra\nCashier,65100,x\nPlumber,72300,y\n"
        "Licensed Practical Nurse,32101,z\n",
    )
    res = runner.invoke(
        app, ["eval", "occupations", "--dataset", str(data), "--fast", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert [r["level"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["top1"] >= rows[4]["top1"] and rows[4]["n"] == 3
    assert all(0 <= r["top1"] <= r["top5"] <= 1 for r in rows)


def test_eval_locations_cli(tmp_path):
    data = _write(
        tmp_path,
        "l.csv",
        "raw,province,economic_region_code,note\n"
        '"Hybrid - Toronto, ON",ON,3530,a\n"London, UK",OUTSIDE,,b\n'
        'London,,,c\n"Calgary, AB",AB,4860,deliberately wrong ER\n',
    )
    res = runner.invoke(app, ["eval", "locations", "--dataset", str(data), "--format", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)["rows"][0]
    assert summary["province_accuracy"] == 1.0
    assert summary["er_rows"] == 2 and summary["er_accuracy"] == 0.5
    assert summary["unknown_share"] == 0.25 and summary["wrong_share"] == 0.0


def test_eval_missing_column_is_clear(tmp_path):
    data = _write(tmp_path, "bad.csv", "raw,province\nToronto,ON\n")
    res = runner.invoke(app, ["eval", "locations", "--dataset", str(data)])
    assert res.exit_code != 0
    assert "economic_region_code" in res.output
    res = runner.invoke(app, ["eval", "occupations", "--dataset", str(tmp_path / "none.csv")])
    assert res.exit_code != 0
