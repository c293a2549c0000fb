"""Reference imports from the shared samples, starter tables, local-server download, CLI."""

import functools
import http.server
import threading
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.normalise import reference as ref
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
runner = CliRunner()


@pytest.fixture()
def con():
    c = duckdb.connect()
    apply_schema(c)
    yield c
    c.close()


def test_import_noc_oasis_naics(con):
    assert ref.import_noc(con, SHARED / "canada-noc-oasis") == 822
    levels = dict(con.execute("SELECT level, count(*) FROM ref_noc GROUP BY level").fetchall())
    assert levels[5] == 516 and levels[1] == 10
    n = ref.import_oasis(con, SHARED / "canada-noc-oasis" / "example-titles_oasis_2023_v1.0.csv")
    assert n >= 18_666 + 516
    bad = con.execute("SELECT count(*) FROM ref_noc_titles WHERE length(code) <> 5").fetchone()[0]
    assert bad == 0
    ref.import_naics(con, SHARED / "naics-canada-2022")
    sectors = con.execute("SELECT code FROM ref_naics WHERE level = 1 ORDER BY code").fetchall()
    assert len(sectors) == 20 and ("31-33",) in sectors
    assert con.execute("SELECT count(*) FROM ref_naics_elements").fetchone()[0] > 20_000


def test_bad_file_is_a_clear_error(con, tmp_path):
    bad = tmp_path / ref.NOC_FILE
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ref.ReferenceError, match="lacks columns"):
        ref.import_noc(con, bad)
    with pytest.raises(ref.ReferenceError):
        ref.import_geography(con, tmp_path)


def test_starter_tables_fill_only_empty_tables(con):
    loaded = ref.load_starter_reference(con)
    assert loaded["ref_provinces"] == 13 and loaded["ref_economic_regions"] == 76
    assert loaded["ref_places"] >= 300
    assert con.execute("SELECT count(*) FROM ref_naics WHERE level = 1").fetchone()[0] == 20
    assert ref.load_starter_reference(con) == {}  # nothing empty any more
    codes = {r[0] for r in con.execute("SELECT province FROM ref_places").fetchall()}
    assert len(codes) == 13
    assert sum(p.stat().st_size for p in ref.DATA_DIR.glob("*.csv")) < 300_000


@pytest.fixture()
def fixture_server(tmp_path):
    (tmp_path / ref.NAICS_STRUCTURE_FILE).write_text(
        "Level,Hierarchical structure,Code,Parent,Class title,Superscript,Class definition\n"
        "1,Sector,11,,Agriculture,,x\n",
        encoding="utf-8",
    )
    (tmp_path / ref.NAICS_ELEMENT_FILE).write_text(
        "Level,Code,Class title,Element Type Label,Element Description\n"
        "1,11,Agriculture,All examples,farming\n",
        encoding="utf-8",
    )
    (tmp_path / ref.NOC_FILE).write_text("<html>not found</html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_from_local_server(fixture_server, tmp_path, con):
    dest = tmp_path / "dl"
    saved = ref.download_reference("naics", dest, base_url=fixture_server)
    assert {p.name for p in saved} == {ref.NAICS_STRUCTURE_FILE, ref.NAICS_ELEMENT_FILE}
    assert ref.import_naics(con, dest) == 2
    with pytest.raises(ref.ReferenceError, match="did not return a CSV"):
        ref.download_reference("noc", tmp_path / "dl2", base_url=fixture_server)
    with pytest.raises(ref.ReferenceError, match="base_url"):
        ref.download_reference("geography", tmp_path / "dl3")


def test_default_urls_are_official_sites():
    """Every default base is HTTPS on one of the official hosts (named once, in the module)."""
    from urllib.parse import urlsplit

    for kind, (base, _files) in ref.DOWNLOADS.items():
        if base is not None:
            parts = urlsplit(base)
            assert parts.scheme == "https" and parts.hostname in ref.OFFICIAL_HOSTS, kind


def test_cli_import_and_list(tmp_path):
    db = tmp_path / "w.duckdb"
    res = runner.invoke(
        app, ["reference", "import", "noc", str(SHARED / "canada-noc-oasis"), "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["reference", "list", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0
    assert '"ref_noc"' in res.output and '"imported"' in res.output
    res = runner.invoke(
        app, ["reference", "import", "noc", str(tmp_path / "missing"), "--db", str(db)]
    )
    assert res.exit_code != 0


def test_cli_download(fixture_server, tmp_path):
    res = runner.invoke(
        app,
        [
            "reference",
            "download",
            "naics",
            "--dest",
            str(tmp_path / "d"),
            "--base-url",
            fixture_server,
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d" / ref.NAICS_STRUCTURE_FILE).exists()
