"""Report outputs: json / csv to stdout or a file, parquet and xlsx files with the report meta."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.warehouse.db import connect
from lmi.warehouse.export import ExportError, export, flat

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """60 postings (40 AB, 20 BC) in 2024-05; A in 30 AB + 5 BC, B in 26 BC-or-AB, C in 3."""
    path = tmp_path_factory.mktemp("exp") / "w.duckdb"
    con = connect(path)
    con.execute("INSERT INTO frameworks (framework_id, name, version) VALUES ('t', 'T', '2')")
    con.executemany("INSERT INTO skills (framework_id, skill_id, preferred_label) "
                    "VALUES ('t', ?, ?)", [("A", "Alpha"), ("B", "Beta"), ("C", "Gamma")])
    con.executemany(
        "INSERT INTO postings (posting_id, raw_id, source_id, url, province, date_posted, "
        "first_seen, last_seen, extractor_version) VALUES (?, ?, 's', ?, ?, ?, ?, ?, 'x-1')",
        [(f"P{i}", f"P{i}", f"u{i}", "AB" if i < 40 else "BC", dt.date(2024, 5, 1 + i % 28),
          "2024-05-01", "2024-05-01") for i in range(60)])
    mentions = [(f"P{i}", "A") for i in list(range(30)) + list(range(40, 45))]
    mentions += [(f"P{i}", "B") for i in range(14, 40)] + [(f"P{i}", "C") for i in range(3)]
    con.executemany("INSERT INTO posting_skills VALUES (?, 't', ?, 'x', 0, 1, 0.9, 'exact')",
                    mentions)
    con.close()
    return path


def _top(db, *extra):
    return runner.invoke(app, ["skills", "top", "--db", str(db), *extra], env=ENV)


def test_json_and_csv_to_stdout_and_file(db, tmp_path):
    result = _top(db, "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {r["skill_id"]: r for r in payload["rows"]}
    assert rows["A"]["jobs"] == 35 and rows["A"]["share"] == pytest.approx(35 / 60)
    assert rows["C"]["suppressed"] and rows["C"]["jobs"] is None      # 3 < floor 25
    assert payload["meta"]["floor"] == 25 and payload["meta"]["frameworks"] == ["t 2"]
    as_csv = _top(db, "--format", "csv")
    parsed = {r["skill_id"]: r for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert parsed["A"]["jobs"] == "35" and parsed["C"]["suppressed"] == "True"
    out = tmp_path / "top.json"
    to_file = _top(db, "--format", "json", "--output", str(out))
    assert to_file.exit_code == 0 and "rows" not in to_file.stdout
    assert json.loads(out.read_text())["rows"] == payload["rows"]


def test_binary_format_needs_output(db):
    result = _top(db, "--format", "parquet")
    assert result.exit_code == 2
    assert "--output" in result.output
    with pytest.raises(ExportError, match="--output"):
        export({"rows": []}, {}, "xlsx", None)
    with pytest.raises(ExportError, match="one table"):
        export({"a": [], "b": []}, {}, "csv", None)


def test_parquet_round_trip_with_meta(db, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "top.parquet"
    result = _top(db, "--format", "parquet", "--output", str(out), "--region", "AB")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    rows = {r["skill_id"]: r for r in table.to_pylist()}
    assert rows["A"]["jobs"] == 30 and rows["A"]["share"] == pytest.approx(0.75)
    assert rows["B"]["suppressed"] is False and rows["B"]["jobs"] == 26
    meta = json.loads(table.schema.metadata[b"lmi_meta"])
    assert meta["filters"] == {"region": "AB"} and meta["postings"] == 40


def test_xlsx_sheets_and_meta(db, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "gaps.xlsx"
    result = runner.invoke(app, ["report", "gaps", "--db", str(db), "--format", "xlsx",
                                 "--output", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["skills", "proposals", "credentials", "meta"]
    header = [c.value for c in book["skills"][1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True))
            for r in book["skills"].iter_rows(min_row=2)]
    assert {r["label"]: r["jobs"] for r in rows if not r["suppressed"]} == {"Alpha": 35,
                                                                            "Beta": 26}
    assert {r["label"]: r["coverage"] for r in rows}["Gamma"] == "uncovered"
    meta = {r[0].value: r[1].value for r in book["meta"].iter_rows(min_row=2)}
    assert meta["report"] == "gap_report" and meta["postings"] == 60


def test_flat_cells():
    assert flat(["a", "b"]) == "a; b"
    assert json.loads(flat([{"x": 1}])) == [{"x": 1}]
    assert flat(dt.date(2024, 1, 2)) == "2024-01-02"
