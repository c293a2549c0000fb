"""Report queries, filters, emerging-skill statistics and gap report on hand-built warehouses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.warehouse import aggregates
from lmi.warehouse.aggregates import (
    aggregates_fresh,
    credential_aggregates_fresh,
    refresh_aggregates,
)
from lmi.warehouse.db import WarehouseError, connect
from lmi.warehouse.emerging import benjamini_hochberg, two_proportion_z
from lmi.warehouse.emerging_report import emerging_skills
from lmi.warehouse.filters import Filters, resolve_filters, sql_params
from lmi.warehouse.gaps import alignment_score, gap_report
from lmi.warehouse.reports import compare_skills, prepare, run, top_skills

runner = CliRunner()
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


def _postings(con, items):
    """items: (pid, province, er, sector, noc, day, first_seen)."""
    con.executemany(
        "INSERT INTO postings (posting_id, raw_id, source_id, url, province, economic_region, "
        "naics_sector, noc_code, date_posted, first_seen, last_seen, extractor_version) "
        "VALUES (?, ?, 'src', ?, ?, ?, ?, ?, ?, ?, ?, 'x-1')",
        [(pid, pid, f"https://example.test/{pid}", prov, er, sector, noc, day, seen, seen)
         for pid, prov, er, sector, noc, day, seen in items])


def _mentions(con, items):
    """items: (pid, skill_id, start)."""
    con.executemany("INSERT INTO posting_skills VALUES (?, 'test', ?, ?, ?, ?, 0.9, 'exact')",
                    [(pid, sid, sid, start, start + 3) for pid, sid, start in items])


SKILLS = [("A", "Alpha skill", "P1"), ("B", "Beta skill", "P2"), ("C", "Gamma skill", "P3"),
          ("D", "Delta skill", "P2"), ("E", "Epsilon skill", None)]


def _reference(con):
    con.execute("INSERT INTO frameworks (framework_id, name, version) VALUES "
                "('test', 'Test framework', '0.1')")
    for sid, label, parent in SKILLS:
        con.execute("INSERT INTO skills (framework_id, skill_id, preferred_label, skill_type, "
                    "parent_id) VALUES ('test', ?, ?, 'skill', ?)", [sid, label, parent])
    con.execute("INSERT INTO ref_provinces VALUES ('AB', '48', 'Alberta', 'Alberta'), "
                "('BC', '59', 'British Columbia', 'Colombie-Britannique'), "
                "('QC', '24', 'Quebec', 'Québec')")
    con.execute("INSERT INTO ref_economic_regions VALUES ('4830', 'AB', 'Calgary', 'Calgary'), "
                "('4860', 'AB', 'Edmonton', 'Edmonton'), "
                "('5930', 'BC', 'Lower Mainland--Southwest', 'Lower Mainland--Southwest'), "
                "('2460', 'QC', 'Montréal', 'Montréal')")
    con.execute("INSERT INTO ref_places VALUES ('Airdrie', 'Airdrie', 'AB', '4830', NULL, 74000, "
                "'t'), ('Trois-Rivières', 'Trois-Rivieres', 'QC', '2460', NULL, 1, 't')")
    con.execute("INSERT INTO ref_naics VALUES ('54', 1, NULL, "
                "'Professional, scientific and technical services'), "
                "('31-33', 1, NULL, 'Manufacturing'), ('541', 2, '54', 'Professional services')")
    con.execute("INSERT INTO ref_noc VALUES ('2', 1, 'Natural and applied sciences'), "
                "('21232', 5, 'Software developers and programmers'), "
                "('73300', 5, 'Transport truck drivers')")


@pytest.fixture(scope="module")
def small_template(tmp_path_factory):
    """10 postings in June 2024; A in 6, B in 3, C in 1 (see each test for the subsets)."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    con = connect(path)
    _reference(con)
    _postings(con, [(f"P{i:02d}",
                     "AB" if i <= 6 else "BC",
                     "4830" if i <= 4 else "4860" if i <= 6 else "5930",
                     "54" if i <= 5 else "31-33",
                     "21232" if i <= 3 else "73300",
                     None if i == 10 else dt.date(2024, 6, i),
                     "2024-06-20" if i == 10 else "2024-06-01") for i in range(1, 11)])
    _mentions(con, [(f"P{i:02d}", "A", 0) for i in range(1, 7)]
              + [("P01", "A", 40)]                # a second mention in the same posting
              + [(pid, "B", 0) for pid in ("P01", "P02", "P07")] + [("P08", "C", 0)])
    con.close()
    return path


@pytest.fixture
def small_db(small_template, tmp_path):
    """A private copy of the small warehouse (tests may add a catalogue to it)."""
    return Path(shutil.copy(small_template, tmp_path / "small.duckdb"))


@pytest.fixture
def opened():
    """connect() whose connections are closed when the test ends."""
    cons = []

    def _open(path, **kwargs):
        cons.append(connect(path, **kwargs))
        return cons[-1]

    yield _open
    for con in cons:
        con.close()


def _counts(rows):
    return {r["skill_id"]: (r["jobs"], pytest.approx(r["share"])) for r in rows}


def test_top_skills_counts_and_shares(small_db, opened):
    con = opened(small_db)
    rows, meta = top_skills(con, Filters(), floor=0)
    assert [r["skill_id"] for r in rows] == ["A", "B", "C"]
    assert _counts(rows) == {"A": (6, 0.6), "B": (3, 0.3), "C": (1, 0.1)}
    assert rows[0]["label"] == "Alpha skill" and rows[0]["skill_type"] == "skill"
    assert meta["postings"] == 10 and meta["postings_with_skills"] == 8   # P09, P10 have none
    assert meta["first_posted"] == dt.date(2024, 6, 1)
    assert meta["last_posted"] == dt.date(2024, 6, 20)       # P10 dated by first_seen
    assert meta["frameworks"] == ["test 0.1"] and meta["extractor_versions"] == ["x-1"]
    assert len(top_skills(con, Filters(), limit=2, floor=0)[0]) == 2


def test_duplicate_postings_count_once(small_db, opened):
    con = opened(small_db)
    con.execute("INSERT INTO posting_clusters VALUES ('P01', 'P01', true, 'text'), "
                "('P02', 'P01', false, 'text'), ('P03', 'P03', true, 'unique')")
    rows, meta = top_skills(con, Filters(), floor=0)
    assert meta["postings"] == 9
    assert _counts(rows) == {"A": (5, 5 / 9), "B": (2, 2 / 9), "C": (1, 1 / 9)}


@pytest.mark.parametrize(("filters", "expected", "total"), [
    (Filters(region="Alberta"), {"A": (6, 1.0), "B": (2, 1 / 3)}, 6),
    (Filters(region="calgary"), {"A": (4, 1.0), "B": (2, 0.5)}, 4),
    (Filters(region="Airdrie"), {"A": (4, 1.0), "B": (2, 0.5)}, 4),
    (Filters(region="5930"), {"B": (1, 0.25), "C": (1, 0.25)}, 4),
    (Filters(sector="31"), {"A": (1, 0.2), "B": (1, 0.2), "C": (1, 0.2)}, 5),
    (Filters(sector="manufacturing"), {"A": (1, 0.2), "B": (1, 0.2), "C": (1, 0.2)}, 5),
    (Filters(occupation="212"), {"A": (3, 1.0), "B": (2, 2 / 3)}, 3),
    (Filters(since="2024-06-05"), {"A": (2, 2 / 6), "B": (1, 1 / 6), "C": (1, 1 / 6)}, 6),
    (Filters(region="AB", until="2024-06-02"), {"A": (2, 1.0), "B": (2, 1.0)}, 2),
])
def test_top_skills_filters(small_db, filters, expected, total, opened):
    con = opened(small_db)
    rows, meta = top_skills(con, filters, floor=0)
    assert _counts(rows) == expected
    assert meta["postings"] == total


@pytest.mark.parametrize(("region", "key", "value"), [
    ("AB", "province", "AB"), ("québec", "province", "QC"), ("Quebec", "province", "QC"),
    ("QUÉBEC", "province", "QC"), ("4830", "economic_region", "4830"),
    ("montreal", "economic_region", "2460"), ("Trois-Rivieres", "economic_region", "2460"),
    ("lower mainland southwest", "economic_region", "5930"),
])
def test_region_resolution(small_db, region, key, value, opened):
    params = resolve_filters(opened(small_db), Filters(region=region))
    assert params[key] == value
    other = "economic_region" if key == "province" else "province"
    assert params[other] is None


def test_unknown_values_list_closest(small_db, opened):
    con = opened(small_db)
    with pytest.raises(WarehouseError) as err:
        resolve_filters(con, Filters(region="Albreta"))
    assert "Alberta (AB)" in str(err.value) and "lmi report values region" in str(err.value)
    with pytest.raises(WarehouseError, match="Calgary"):
        resolve_filters(con, Filters(region="Calgery"))
    with pytest.raises(WarehouseError, match="Manufacturing"):
        resolve_filters(con, Filters(sector="Manufacturng"))
    with pytest.raises(WarehouseError, match="unknown occupation '999'"):
        resolve_filters(con, Filters(occupation="999"))
    with pytest.raises(WarehouseError, match="YYYY-MM-DD"):
        resolve_filters(con, Filters(since="June 2024"))
    with pytest.raises(WarehouseError, match="after"):
        resolve_filters(con, Filters(since="2024-06-10", until="2024-06-01"))


def test_sector_falls_back_to_codes_in_postings(tmp_path, opened):
    con = opened(tmp_path / "bare.duckdb")
    _postings(con, [("X1", None, None, "54", None, dt.date(2024, 1, 1), "2024-01-01")])
    assert resolve_filters(con, Filters(sector="54"))["sector"] == "54"
    with pytest.raises(WarehouseError, match="unknown sector '11'.*54"):
        resolve_filters(con, Filters(sector="11"))


# ---------------------------------------------------------------- emerging statistics (pure)

def test_benjamini_hochberg_hand_computed():
    # sorted p: .005 .01 .03 .04 -> m/i*p: .02 .02 .04 .04 -> running min from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx(
        [0.02, 0.04, 0.04, 0.02])
    # monotonicity: raw .04 for the smaller p is pulled down to .03
    assert benjamini_hochberg([0.02, 0.03]).tolist() == pytest.approx([0.03, 0.03])
    assert benjamini_hochberg([0.9, 0.8]).tolist() == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg([0.6]).tolist() == pytest.approx([0.6])
    assert benjamini_hochberg([]).size == 0


def test_two_proportion_z_hand_computed():
    # 30/100 vs 10/100: pooled .2, se = sqrt(.2*.8*.02) = .0565685
    z, p = two_proportion_z(30, 100, 10, 100)
    assert z == pytest.approx(0.2 / math.sqrt(0.0032))
    assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))
    assert two_proportion_z(10, 100, 30, 100)[1] > 0.99              # one-sided: a fall
    z2, p2 = two_proportion_z(10, 100, 30, 100, alternative="two-sided")
    assert z2 == pytest.approx(-z) and p2 == pytest.approx(2 * p)
    assert two_proportion_z(0, 50, 0, 50) == (0.0, 1.0)


def test_alignment_score_formula():
    assert alignment_score([0.6], 0.01) == 1.0
    assert alignment_score([0.6, 0.0], 0.01) == 0.5
    assert alignment_score([0.6], 0.7) == pytest.approx(0.6 / 0.7)
    assert alignment_score([], 0.01) == 0.0


# ---------------------------------------------------------------- emerging skills on a warehouse

@pytest.fixture(scope="module")
def trend_db(tmp_path_factory):
    """15 months (2023-01..2024-03) x 40 postings. G: 2/40 a month, then 16/40 in the last 3.
    F: flat 12/40. D: 20/40 then 8/40 (falling). R: 1/40 (too rare to test)."""
    path = tmp_path_factory.mktemp("trend") / "trend.duckdb"
    con = connect(path)
    _reference(con)
    for label, sid in (("Growing skill", "G"), ("Flat skill", "F"), ("Declining skill", "D2"),
                       ("Rare skill", "R")):
        con.execute("INSERT INTO skills (framework_id, skill_id, preferred_label) "
                    "VALUES ('test', ?, ?)", [sid, label])
    postings, mentions = [], []
    for m in range(15):
        month = dt.date(2023 + m // 12, m % 12 + 1, 1)
        recent = m >= 12
        for i in range(40):
            pid = f"T{m:02d}-{i:02d}"
            postings.append((pid, "AB", None, None, None, month + dt.timedelta(days=i % 28),
                             str(month)))
            if i < (16 if recent else 2):
                mentions.append((pid, "G", 0))
            if i < 12:
                mentions.append((pid, "F", 10))
            if i < (8 if recent else 20):
                mentions.append((pid, "D2", 20))
            if i == 39:
                mentions.append((pid, "R", 30))
    con.execute("BEGIN TRANSACTION")
    _postings(con, postings)
    _mentions(con, mentions)
    con.execute("COMMIT")
    con.close()
    return path


def test_emerging_finds_planted_growth_only(trend_db, opened):
    con = opened(trend_db)
    rows, meta = emerging_skills(con, Filters(), min_count=20, include_all=True)
    by_id = {r["skill_id"]: r for r in rows}
    assert set(by_id) == {"G", "F", "D2"}                  # R: 3 recent postings < min_count
    assert meta["tested"] == 3 and meta["significant"] == 1
    assert meta["recent_postings"] == 120 and meta["baseline_postings"] == 480
    assert meta["recent_window"] == [dt.date(2024, 1, 1), dt.date(2024, 3, 28)]
    assert meta["baseline_window"] == [dt.date(2023, 1, 1), dt.date(2023, 12, 31)]
    g = by_id["G"]
    assert (g["recent_count"], g["baseline_count"]) == (48, 24)
    assert g["recent_share"] == pytest.approx(0.4) and g["baseline_share"] == pytest.approx(0.05)
    assert g["growth"] == pytest.approx(8.0) and g["significant"]
    pooled = 72 / 600
    assert g["z"] == pytest.approx(0.35 / math.sqrt(pooled * (1 - pooled) * (1 / 120 + 1 / 480)))
    assert not by_id["F"]["significant"] and by_id["F"]["growth"] == pytest.approx(1.0)
    assert not by_id["D2"]["significant"]
    ps = [by_id[k]["p"] for k in ("G", "F", "D2")]
    assert [by_id[k]["q"] for k in ("G", "F", "D2")] == pytest.approx(
        benjamini_hochberg(ps).tolist())
    only_significant, _ = emerging_skills(con, Filters(), min_count=20)
    assert [r["skill_id"] for r in only_significant] == ["G"]


def test_emerging_windows_end_at_latest_filtered_posting(trend_db, opened):
    con = opened(trend_db)
    rows, meta = emerging_skills(con, Filters(until="2023-12-31"), min_count=5,
                                 include_all=True)
    assert meta["recent_window"][0] == dt.date(2023, 10, 1)
    assert meta["recent_postings"] == 120 and meta["baseline_postings"] == 360
    assert rows and not any(r["significant"] for r in rows)   # G was flat in 2023


def test_emerging_without_history_says_so(small_db, opened):
    rows, meta = emerging_skills(opened(small_db), Filters(), min_count=1)
    assert rows == [] and "baseline" in meta["note"]


# ---------------------------------------------------------------- gap report

def _catalogue(con):
    con.execute("INSERT INTO microcredentials (credential_id, title, provider, learning_outcomes)"
                " VALUES ('c1', 'Alpha course', 'College', ['a']), "
                "('c2', 'Delta course', 'College', ['d']), "
                "('c3', 'Mixed course', 'College', ['a', 'e'])")
    for cid, sid in (("c1", "A"), ("c2", "D"), ("c3", "A"), ("c3", "E"), ("c3", "E")):
        con.execute("INSERT INTO credential_skills VALUES (?, 'test', ?, 'x', 0, 0.9, 'exact')",
                    [cid, sid])


def test_gap_report_coverage_and_alignment(small_db, opened):
    con = opened(small_db)
    _catalogue(con)
    report = gap_report(con, Filters(), limit=3, floor=0)
    skills = {r["skill_id"]: r for r in report["skills"]}
    assert skills["A"]["coverage"] == "covered"
    assert skills["A"]["covered_by"] == ["Alpha course", "Mixed course"]
    assert skills["B"]["coverage"] == "partly covered"                  # D shares parent P2
    assert skills["B"]["related_by"] == ["Delta course (via Delta skill)"]
    assert skills["C"]["coverage"] == "uncovered"
    assert report["meta"]["coverage"] == {"covered": 1, "partly covered": 1, "uncovered": 1}
    creds = {r["credential_id"]: r for r in report["credentials"]}
    assert (creds["c1"]["mapped_skills"], creds["c1"]["in_demand_skills"]) == (1, 1)
    assert creds["c1"]["alignment"] == 1.0 and creds["c1"]["reach"] == pytest.approx(0.6)
    assert creds["c2"]["alignment"] == 0.0 and creds["c2"]["reach"] == 0.0
    assert creds["c3"]["mapped_skills"] == 2                             # E mapped twice
    assert creds["c3"]["share_in_demand"] == 0.5 and creds["c3"]["alignment"] == 0.5
    assert [r["credential_id"] for r in report["credentials"]] == ["c1", "c3", "c2"]
    strict = gap_report(con, Filters(), limit=3, in_demand_share=0.7, floor=0)
    c1 = next(r for r in strict["credentials"] if r["credential_id"] == "c1")
    assert c1["in_demand_skills"] == 0 and c1["alignment"] == pytest.approx(0.6 / 0.7)


def test_gap_report_respects_filters_and_emerging(small_db, trend_db, opened):
    con = opened(small_db)
    _catalogue(con)
    bc = gap_report(con, Filters(region="BC"), limit=5, floor=0)
    assert {r["skill_id"] for r in bc["skills"]} == {"B", "C"}
    assert next(r for r in bc["credentials"] if r["credential_id"] == "c1")["alignment"] == 0.0
    trend = opened(trend_db)
    result = gap_report(trend, Filters(), limit=1, min_count=20, floor=0)
    rows = {r["skill_id"]: r for r in result["skills"]}
    assert rows["G"]["emerging"] and rows["G"]["growth"] == pytest.approx(8.0)
    assert rows["G"]["coverage"] == "uncovered" and len(rows) == 2      # top-1 (D2) + G


# ---------------------------------------------------------------- CLI

def test_cli_missing_database(tmp_path):
    missing = tmp_path / "nope.duckdb"
    for args in (["skills", "top"], ["skills", "emerging"], ["report", "gaps"]):
        result = runner.invoke(app, [*args, "--db", str(missing)], env=ENV)
        assert result.exit_code == 2
        assert "no warehouse" in result.output
    assert not missing.exists()


def test_cli_unknown_region_exit_code(small_db):
    result = runner.invoke(app, ["skills", "top", "--db", str(small_db), "--region", "Albreta"],
                           env=ENV)
    assert result.exit_code == 2
    assert "Alberta (AB)" in result.output and "lmi report values region" in result.output


def test_cli_formats_agree(small_db, opened):
    args = ["skills", "top", "--db", str(small_db), "--region", "Alberta", "--floor", "0"]
    expected, _ = top_skills(opened(small_db, read_only=True), Filters(region="Alberta"),
                             floor=0)
    as_json = runner.invoke(app, [*args, "--format", "json"], env=ENV)
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert [(r["skill_id"], r["postings"], r["share"]) for r in payload["rows"]] == [
        (r["skill_id"], r["postings"], pytest.approx(r["share"])) for r in expected]
    assert payload["meta"]["filters"] == {"region": "Alberta"}
    assert payload["meta"]["last_posted"] == "2024-06-06"
    as_csv = runner.invoke(app, [*args, "--format", "csv"], env=ENV)
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["skill_id"], int(r["postings"]), float(r["share"])) for r in parsed] == [
        (r["skill_id"], r["postings"], pytest.approx(r["share"])) for r in payload["rows"]]
    table = runner.invoke(app, args, env=ENV)
    assert table.exit_code == 0
    text = " ".join(table.output.split())
    assert "Alberta (AB)" in text and "2024-06-01 to 2024-06-06" in text
    assert "Alpha skill" in text and "0.333" in text


def test_cli_emerging_and_gaps(trend_db, small_db, opened):
    result = runner.invoke(app, ["skills", "emerging", "--db", str(trend_db), "--format", "json"],
                           env=ENV)
    assert result.exit_code == 0, result.output
    assert [r["label"] for r in json.loads(result.stdout)["rows"]] == ["Growing skill"]
    table = runner.invoke(app, ["skills", "emerging", "--db", str(trend_db)], env=ENV)
    assert "Growing skill" in table.output and "Flat skill" not in table.output
    # the shared filter options reach the report (--period ends the windows in 2023-12)
    period = runner.invoke(app, ["skills", "emerging", "--db", str(trend_db), "--period",
                                 "2023-12", "--format", "json", "--all"], env=ENV)
    assert period.exit_code == 0, period.output
    meta = json.loads(period.stdout)["meta"]
    assert meta["filters"] == {"period": "2023-12"} and meta["last_posted"] == "2023-12-28"
    con = opened(small_db)
    _catalogue(con)
    con.close()
    gaps = runner.invoke(app, ["report", "gaps", "--db", str(small_db), "--format", "json",
                                "--floor", "0"],
                         env=ENV)
    assert gaps.exit_code == 0, gaps.output
    payload = json.loads(gaps.stdout)
    assert {r["skill_id"]: r["coverage"] for r in payload["skills"]} == {
        "A": "covered", "B": "partly covered", "C": "uncovered"}
    creds = runner.invoke(app, ["report", "gaps", "--db", str(small_db), "--format", "csv",
                                "--part", "credentials", "--floor", "0"], env=ENV)
    parsed = {r["credential_id"]: float(r["alignment"])
              for r in csv.DictReader(io.StringIO(creds.stdout))}
    assert parsed == {r["credential_id"]: r["alignment"] for r in payload["credentials"]}
    no_part = runner.invoke(app, ["report", "gaps", "--db", str(small_db), "--format", "csv"],
                            env=ENV)
    assert no_part.exit_code == 2 and "--part" in no_part.output
    human = runner.invoke(app, ["report", "gaps", "--db", str(small_db), "--floor", "0"],
                          env=ENV)
    assert "1 covered, 1 partly covered, 1 uncovered" in " ".join(human.output.split())
    values = runner.invoke(app, ["report", "values", "region", "--db", str(small_db), "--format",
                                 "csv"], env=ENV)
    assert {"AB", "4830", "5930"} <= {r["value"] for r in csv.DictReader(io.StringIO(
        values.stdout))}


# ---------------------------------------------------------------- v2: floor, LQ, compare, period

def test_suppression_marks_small_cells(small_db, opened):
    rows, meta = top_skills(opened(small_db), Filters(), floor=4)
    by_id = {r["skill_id"]: r for r in rows}
    assert by_id["A"]["jobs"] == 6 and not by_id["A"]["suppressed"]
    assert by_id["B"]["suppressed"] and by_id["B"]["jobs"] is None and by_id["B"]["share"] is None
    assert set(by_id) == {"A", "B", "C"}                     # kept, not dropped
    whole, _ = top_skills(opened(small_db), Filters(), floor=11)   # 10 jobs < floor: all hidden
    assert all(r["suppressed"] for r in whole)


def test_location_quotient_against_national(small_db, opened):
    rows, meta = top_skills(opened(small_db), Filters(region="BC"), floor=0)
    b = next(r for r in rows if r["skill_id"] == "B")
    assert b["share"] == pytest.approx(1 / 4) and b["national_share"] == pytest.approx(3 / 10)
    assert b["lq"] == pytest.approx((1 / 4) / (3 / 10))
    assert meta["reference"].startswith("national")


def test_period_month_and_quarter(small_db, opened):
    con = opened(small_db)
    assert resolve_filters(con, Filters(period="2024-Q2"))["since"] == dt.date(2024, 4, 1)
    assert resolve_filters(con, Filters(period="2024-02"))["until"] == dt.date(2024, 2, 29)
    assert top_skills(con, Filters(period="2024-06"), floor=0)[1]["postings"] == 10
    assert top_skills(con, Filters(period="2024-05"), floor=0)[0] == []
    with pytest.raises(WarehouseError, match="YYYY-Qn"):
        resolve_filters(con, Filters(period="Q5"))
    with pytest.raises(WarehouseError, match="--period"):
        resolve_filters(con, Filters(period="2024-06", since="2024-06-01"))


def test_compare_regions(small_db, opened):
    con = opened(small_db, read_only=True)
    rows, meta = compare_skills(con, Filters(region="AB"), Filters(region="BC"), floor=0)
    a = next(r for r in rows if r["skill_id"] == "A")
    assert (a["share_a"], a["share_b"]) == (pytest.approx(1.0), pytest.approx(0.0))
    assert a["diff"] == pytest.approx(1.0) and a["q"] < 0.05
    assert meta["a"]["postings"] == 6 and meta["b"]["postings"] == 4
    hidden, _ = compare_skills(con, Filters(region="AB"), Filters(region="BC"))
    assert all(r["share_a"] is None and r["suppressed_a"] for r in hidden)   # floor 25
    cli = runner.invoke(app, ["skills", "compare", "--db", str(small_db), "--region", "AB",
                              "--region", "BC", "--floor", "0", "--format", "json"], env=ENV)
    assert cli.exit_code == 0, cli.output
    assert {r["skill_id"] for r in json.loads(cli.stdout)["rows"]} == {"A", "B", "C"}
    one = runner.invoke(app, ["skills", "compare", "--db", str(small_db), "--region", "AB"],
                        env=ENV)
    assert one.exit_code == 2 and "two" in one.output


def test_aggregates_give_the_same_answers(trend_db, tmp_path, opened):
    path = Path(shutil.copy(trend_db, tmp_path / "agg.duckdb"))
    con = opened(path)
    before = top_skills(con, Filters(region="AB"), floor=0, limit=None)[0]
    emerging_before = emerging_skills(con, Filters(), min_count=20, include_all=True)[0]
    stats = refresh_aggregates(con)
    assert stats["skill_month_counts"] > 0 and aggregates_fresh(con)
    after, meta = top_skills(con, Filters(region="AB"), floor=0, limit=None)
    assert meta["source"].startswith("aggregates")
    assert [(r["skill_id"], r["jobs"], r["share"]) for r in after] == [
        (r["skill_id"], r["jobs"], pytest.approx(r["share"])) for r in before]
    emerging_after = emerging_skills(con, Filters(), min_count=20, include_all=True)[0]
    assert [(r["skill_id"], r["z"]) for r in emerging_after] == [
        (r["skill_id"], pytest.approx(r["z"])) for r in emerging_before]
    day = top_skills(con, Filters(since="2024-01-15"), floor=0)[1]     # not a whole month
    assert day["source"] == "base tables"
    con.execute("DELETE FROM posting_skills WHERE skill_id = 'F'")     # now stale
    assert not aggregates_fresh(con)
    assert "F" not in {r["skill_id"] for r in top_skills(con, Filters(), floor=0)[0]}


def _comparable(report):
    meta = {k: v for k, v in report["meta"].items()
            if k not in ("generated_at", "source", "emerging")}
    return {**report, "meta": meta}


def test_gap_report_same_from_aggregates(trend_db, tmp_path, opened, monkeypatch):
    """Credential reach, sampled companion skills and evidence read from the aggregates give
    the base-table answers; a changed catalogue makes the credential aggregates stale."""
    path = Path(shutil.copy(trend_db, tmp_path / "gapagg.duckdb"))
    con = opened(path)
    con.execute("INSERT INTO microcredentials (credential_id, title, provider, learning_outcomes)"
                " VALUES ('k1', 'Flat course', 'C', ['f']), ('k2', 'Growth course', 'C', ['g']),"
                " ('k3', 'Decline course', 'C', ['d'])")
    for cid, sid in (("k1", "F"), ("k2", "G"), ("k2", "R"), ("k3", "D2"), ("k3", "F")):
        con.execute("INSERT INTO credential_skills VALUES (?, 'test', ?, 'x', 0, 0.9, 'exact')",
                    [cid, sid])
    monkeypatch.setattr(aggregates, "COSKILL_SAMPLE", 100)   # 600 jobs: the hash % 4 = 0 sample
    assert aggregates.sample_level(600) == 2
    cases = [Filters(), Filters(since="2023-06-01", until="2024-02-29")]
    before = [gap_report(con, f, limit=3, min_count=20, floor=0) for f in cases]
    evidence_before = emerging_skills(con, Filters(), min_count=20, include_all=True)[0]
    assert any(c["missing_companions"] for c in before[0]["credentials"])
    assert any(c["fading_skills"] for c in before[0]["credentials"])
    refresh_aggregates(con)
    assert credential_aggregates_fresh(con)
    for f, base in zip(cases, before, strict=True):
        agg = gap_report(con, f, limit=3, min_count=20, floor=0)
        assert base["meta"]["source"] == "base tables"
        assert agg["meta"]["source"].startswith("aggregates")
        assert _comparable(agg) == _comparable(base)
    evidence_after = emerging_skills(con, Filters(), min_count=20, include_all=True)[0]
    assert [r["evidence"] for r in evidence_after] == [r["evidence"] for r in evidence_before]
    assert any(r["evidence"] for r in evidence_after)
    reach = {c["credential_id"]: c["reach"] for c in before[0]["credentials"]}
    con.execute("INSERT INTO credential_skills VALUES ('k1', 'test', 'G', 'x', 1, 0.9, 'exact')")
    assert aggregates_fresh(con) and not credential_aggregates_fresh(con)
    changed = {c["credential_id"]: c for c in gap_report(con, Filters(), limit=3, min_count=20,
                                                         floor=0)["credentials"]}
    assert changed["k1"]["mapped_skills"] == 2 and changed["k1"]["reach"] > reach["k1"]


def test_emerging_phrases_evidence_and_tags(trend_db, tmp_path, opened):
    path = Path(shutil.copy(trend_db, tmp_path / "phr.duckdb"))
    con = opened(path)
    con.execute("UPDATE postings SET description = 'We use the Growing skill at work daily.'")
    con.execute("UPDATE posting_skills SET start_char = 11, end_char = 24 WHERE skill_id = 'G'")
    con.execute("""INSERT INTO unlinked_phrases (posting_id, phrase, start_char, end_char)
                   SELECT posting_id, CASE WHEN posting_id LIKE '%-0%' THEN 'AI  Agents'
                                           ELSE 'ai agents' END, 0, 9
                   FROM postings WHERE posting_id >= 'T12'""")   # only in the recent months
    rows, meta = emerging_skills(con, Filters(), min_count=20)
    by_label = {r["label"]: r for r in rows}
    assert {"Growing skill", "ai agents"} <= set(by_label)
    phrase = by_label["ai agents"]
    assert phrase["source"] == "unlinked phrase" and "new" in phrase["tags"]
    assert phrase["baseline_count"] == 0 and phrase["recent_count"] == 120
    g = by_label["Growing skill"]
    assert 1 <= len(g["evidence"]) <= 3
    assert g["evidence"][0]["text"] == "We use the [Growing skill] at work daily."
    assert len(g["monthly_share"]) == 15 and g["monthly_share"][-1]["share"] == pytest.approx(0.4)
    assert meta["tested_phrases"] == 1


def test_related_needs_a_specific_parent(small_db, opened):
    con = opened(small_db)
    _catalogue(con)
    # P2 becomes a broad group: 13 more children
    con.executemany("INSERT INTO skills (framework_id, skill_id, preferred_label, parent_id) "
                    "VALUES ('test', ?, ?, 'P2')", [(f"X{i}", f"x{i}") for i in range(13)])
    skills = {r["skill_id"]: r for r in gap_report(con, Filters(), limit=3, floor=0)["skills"]}
    assert skills["B"]["coverage"] == "uncovered"          # D is a sibling under a broad group
    narrow = gap_report(con, Filters(), limit=3, floor=0, max_siblings=20)
    assert {r["skill_id"]: r["coverage"] for r in narrow["skills"]}["B"] == "partly covered"


def test_proposals_cluster_cooccurring_uncovered_skills(tmp_path, opened):
    con = opened(tmp_path / "prop.duckdb")
    _reference(con)
    postings = [(f"Q{i:03d}", "AB", None, "54" if i < 60 else "31-33",
                 "21232" if i < 60 else "73300", dt.date(2024, 6, 1 + i % 28), "2024-06-01")
                for i in range(120)]
    _postings(con, postings)
    # A+B together in the first 40 postings, C alone in the last 40; E everywhere (no lift)
    _mentions(con, [(f"Q{i:03d}", s, 0) for i in range(40) for s in ("A", "B")]
              + [(f"Q{i:03d}", "C", 0) for i in range(80, 120)]
              + [(f"Q{i:03d}", "E", 0) for i in range(120)])
    report = gap_report(con, Filters(), limit=10, floor=10)
    assert len(report["proposals"]) == 1
    proposal = report["proposals"][0]
    assert sorted(proposal["skills"]) == ["Alpha skill", "Beta skill"]
    assert proposal["jobs"] == 40 and proposal["mean_lift"] == pytest.approx(3.0)
    assert proposal["occupations"][0]["code"] == "21232"
    assert proposal["occupations"][0]["title"] == "Software developers and programmers"
    assert proposal["sectors"][0]["code"] == "54"


# ------------------------------------------- aggregates vs base tables, every kind of filter

def _bulk(con, table, select, items):
    """INSERT INTO table SELECT <select over columns c0, c1, ...> for many rows at once."""
    columns = {f"c{k}": [row[k] for row in items] for k in range(len(items[0]))}
    unnest = ", ".join(f"unnest(${c}) AS {c}" for c in columns)
    con.execute(f"INSERT INTO {table} SELECT {select} FROM (SELECT {unnest})", columns)


@pytest.fixture(scope="module")
def cube_db(tmp_path_factory):
    """900 random postings over 15 months, 3 provinces / 4 regions, 2 sectors, 2 NOC groups,
    9 skills with uneven popularity, duplicates, unlinked phrases and a 4-credential catalogue."""
    import random
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("cube") / "cube.duckdb"
    con = connect(path)
    _reference(con)
    for sid in ("G", "F", "D2", "R"):
        con.execute("INSERT INTO skills (framework_id, skill_id, preferred_label) "
                    "VALUES ('test', ?, ?)", [sid, f"Skill {sid}"])
    places = [("AB", "4830"), ("AB", "4860"), ("BC", "5930"), ("QC", "2460")]
    skills = ["A", "B", "C", "D", "E", "G", "F", "D2", "R"]
    postings, mentions, phrases, clusters = [], [], [], []
    for i in range(900):
        m = rng.randrange(15)
        month = dt.date(2023 + m // 12, m % 12 + 1, 1)
        prov, er = rng.choice(places)
        pid = f"K{i:04d}"
        postings.append((pid, prov, er, rng.choice(["54", "31-33", None]),
                         rng.choice(["21232", "73300", None]),
                         month + dt.timedelta(days=rng.randrange(28)), str(month)))
        chosen = {s for s in skills if rng.random() < 0.6 / (1 + skills.index(s) * 0.4)}
        if m >= 12 and rng.random() < 0.5:
            chosen.add("G")
        mentions += [(pid, s, 10 * k) for k, s in enumerate(sorted(chosen))]
        if rng.random() < 0.3:
            phrases.append((pid, rng.choice(["ai agents", "AI  Agents", "prompt work"])))
        clusters.append((pid, f"K{i - 1:04d}" if i % 10 == 9 else pid))
    _bulk(con, "postings (posting_id, raw_id, source_id, url, province, economic_region, "
          "naics_sector, noc_code, date_posted, first_seen, last_seen, extractor_version)",
          "c0, c0, 'src', 'https://example.test/' || c0, c1, c2, c3, c4, c5, "
          "CAST(c6 AS TIMESTAMP), CAST(c6 AS TIMESTAMP), 'x-1'", postings)
    _bulk(con, "posting_skills", "c0, 'test', c1, c1, c2, c2 + 3, 0.9, 'exact'",
          mentions + [("K0001", "A", 90)])
    _bulk(con, "unlinked_phrases (posting_id, phrase, start_char, end_char)", "c0, c1, 0, 5",
          phrases)
    _bulk(con, "posting_clusters", "c0, c1, c0 = c1, 'test'", clusters)
    con.execute("INSERT INTO microcredentials (credential_id, title, provider, learning_outcomes)"
                " VALUES ('k1', 'Flat course', 'C', ['f']), ('k2', 'Growth course', 'C', ['g']),"
                " ('k3', 'Decline course', 'C', ['d']), ('k4', 'Alpha course', 'C', ['a'])")
    con.executemany("INSERT INTO credential_skills VALUES (?, 'test', ?, 'x', 0, 0.9, 'exact')",
                    [("k1", "F"), ("k2", "G"), ("k2", "R"), ("k3", "D2"), ("k3", "F"),
                     ("k4", "A"), ("k4", "C")])
    con.close()
    return path


CUBE_FILTERS = [Filters(), Filters(region="AB"), Filters(region="Calgary"), Filters(sector="54"),
                Filters(occupation="2"), Filters(occupation="21"), Filters(occupation="21232"),
                Filters(period="2024-Q1"),
                Filters(region="BC", period="2023-Q4"), Filters(region="AB", sector="31-33"),
                Filters(region="QC", sector="54", occupation="7", since="2023-03-01",
                        until="2024-02-29")]


def _all_reports(con, f):
    _, params = prepare(con, f)
    keys = ["test|A", "test|B", "test|F", "test|G"]
    return {"by_province": run(con, "skill_by_province", {**sql_params(params), "keys": keys}),
            "top": top_skills(con, f, floor=0, limit=None)[0],
            "emerging": emerging_skills(con, f, include_all=True, limit=None, min_count=5)[0],
            "gaps": _comparable(gap_report(con, f, limit=5, proposal_pool=9, min_lift=1.01,
                                           min_count=5, floor=0))}


def test_aggregates_same_answers_for_every_filter(cube_db, tmp_path, opened, monkeypatch):
    """Each roll-up grain (national, province, region, sector, NOC group, combined cells) and
    the job-level tables (companion skills on samples, co-occurrence, cluster reach) give the
    base-table answers."""
    con = opened(Path(shutil.copy(cube_db, tmp_path / "cube.duckdb")))
    monkeypatch.setattr(aggregates, "COSKILL_SAMPLE", 40)    # filters use samples of levels 0-3
    before = [_all_reports(con, f) for f in CUBE_FILTERS]
    assert any(r["gaps"]["proposals"] for r in before)
    assert sum(bool(c["missing_companions"]) for r in before
               for c in r["gaps"]["credentials"]) >= 10
    refresh_aggregates(con)
    for f, base in zip(CUBE_FILTERS, before, strict=True):
        assert top_skills(con, f)[1]["source"].startswith("aggregates")
        assert _all_reports(con, f) == base, f


def test_top_and_gaps_show_equivalents(small_db, opened):
    con = opened(small_db)
    con.execute("INSERT INTO frameworks (framework_id, name, version) VALUES ('other', 'O', '1')")
    con.execute("INSERT INTO skills (framework_id, skill_id, preferred_label) VALUES "
                "('other', 'x1', 'Alpha elsewhere'), ('other', 'x2', 'Second best')")
    con.execute("INSERT INTO skill_equivalents (framework_id, skill_id, other_framework_id, "
                "other_skill_id, rank, match, similarity) VALUES "
                "('test', 'A', 'other', 'x1', 1, 'close', 0.91), "
                "('test', 'A', 'other', 'x2', 2, 'related', 0.80)")
    con.close()
    args = ["--db", str(small_db), "--floor", "0", "--equivalents", "other"]
    top = runner.invoke(app, ["skills", "top", *args, "--format", "json"], env=ENV)
    assert top.exit_code == 0, top.output
    rows = {r["skill_id"]: r for r in json.loads(top.stdout)["rows"]}
    assert (rows["A"]["equivalent"], rows["A"]["equivalent_match"],
            rows["A"]["equivalent_id"]) == ("Alpha elsewhere", "close", "x1")
    assert rows["B"]["equivalent"] is None
    table = runner.invoke(app, ["skills", "top", *args], env=ENV)
    assert "Alpha elsewhere" in table.output and "x1" not in table.output.split()
    gaps = runner.invoke(app, ["report", "gaps", *args, "--part", "skills", "--format", "csv"],
                         env=ENV)
    assert gaps.exit_code == 0, gaps.output
    parsed = {r["skill_id"]: r for r in csv.DictReader(io.StringIO(gaps.stdout))}
    assert parsed["A"]["equivalent"] == "Alpha elsewhere" and parsed["C"]["equivalent"] == ""
    none = runner.invoke(app, ["skills", "top", "--db", str(small_db), "--equivalents", "esco"],
                         env=ENV)
    assert none.exit_code == 2 and "lmi frameworks match" in none.output
