"""The self-contained HTML report: offline (no external URL), and rendered by headless Chromium
with its charts (trend lines, regional heatmap, coverage matrix) holding data points.

Chromium comes from scripts/install_chromium.sh (Debian packages chromium, chromium-driver).
The screenshot is kept as test-artifacts/html_report.png.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.warehouse.db import connect
from lmi.warehouse.html_report import coverage_matrix, heatmap, line_chart

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """15 months x 80 postings (AB, BC, ON); G grows 5% -> 50% in the last 3 months; F flat 40%;
    a catalogue whose credential covers F; H (uncovered) co-occurs with G."""
    path = tmp_path_factory.mktemp("html") / "w.duckdb"
    con = connect(path)
    con.execute("INSERT INTO frameworks (framework_id, name, version) VALUES ('t', 'T', '1')")
    con.executemany("INSERT INTO skills (framework_id, skill_id, preferred_label) "
                    "VALUES ('t', ?, ?)", [("G", "Growing skill"), ("F", "Flat skill"),
                                           ("H", "Helper skill")])
    postings, mentions = [], []
    for m in range(15):
        month = dt.date(2023 + m // 12, m % 12 + 1, 1)
        for i in range(80):
            pid = f"P{m:02d}{i:02d}"
            postings.append((pid, pid, pid, ("AB", "BC", "ON")[i % 3],
                             month + dt.timedelta(days=i % 28), str(month)))
            if i < (40 if m >= 12 else 4):
                mentions += [(pid, "G"), (pid, "H")]
            if i % 5 < 2:
                mentions.append((pid, "F"))
    con.executemany(
        "INSERT INTO postings (posting_id, raw_id, source_id, url, province, date_posted, "
        "first_seen, last_seen, extractor_version) VALUES (?, ?, 's', ?, ?, ?, ?, ?, 'x-1')",
        [(*p, p[-1]) for p in postings])
    con.executemany("INSERT INTO posting_skills VALUES (?, 't', ?, 'x', 0, 1, 0.9, 'exact')",
                    mentions)
    con.execute("INSERT INTO microcredentials (credential_id, title, learning_outcomes) "
                "VALUES ('c1', 'Flat course', ['f'])")
    con.execute("INSERT INTO credential_skills VALUES ('c1', 't', 'F', 'f', 0, 0.9, 'exact')")
    con.close()
    return path


def test_svg_builders_carry_data():
    line = line_chart({"a": [("2024-01-01", 0.1), ("2024-02-01", 0.2)]})
    assert line.count("class='pt'") == 2 and "data-value='0.200000'" in line
    grid = heatmap(["s"], ["AB", "BC"], {("s", "AB"): 0.5, ("s", "BC"): None})
    assert "data-value='0.500000'" in grid and "suppressed" in grid
    matrix = coverage_matrix([{"key": "k", "label": "S", "coverage": "covered"}], ["C"],
                             {("k", "C"): "covered"})
    assert "data-status='covered'" in matrix


def _offline(html: str) -> None:
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=['\"]?http", html)
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html)


def test_html_report_renders_in_headless_chromium(db, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "html", str(out), "--db", str(db), "--floor", "5",
                                 "--min-count", "10"], env=ENV)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    _offline(html)
    assert "Growing skill" in html and '&quot;floor&quot;: 5' in html
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: run scripts/install_chromium.sh "
                    "(installs the Debian packages chromium and chromium-driver)")
    base = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", out.as_uri()], capture_output=True, text=True,
                         timeout=90, check=True).stdout
    points = re.findall(r"<circle class=\"pt\"[^>]*data-value=\"([0-9.]+)\"", dom)
    assert len(points) >= 15                                     # one per month at least
    growing = [float(v) for v in re.findall(
        r"<circle class=\"pt\"[^>]*data-label=\"Growing skill\"[^>]*data-value=\"([0-9.]+)\"",
        dom)]
    assert growing and growing[-1] == pytest.approx(0.5) and growing[0] == pytest.approx(0.05)
    assert re.search(r"class=\"cell\"[^>]*data-value=\"0\.\d+\"", dom)        # regional heatmap
    assert 'data-status="covered"' in dom                        # Flat course covers F
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "html_report.png"
    shot.unlink(missing_ok=True)
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,2400",
                    "--hide-scrollbars", out.as_uri()], capture_output=True, timeout=90,
                   check=True)
    assert shot.exists() and shot.stat().st_size > 20_000
    shutil.copy(out, ARTIFACTS / "html_report.html")
