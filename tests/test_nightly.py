"""`lmi nightly`: due sources, run records, failures, an unchanged second night, a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.demo.board import generate_postings
from lmi.demo.server import serve_board
from lmi.nlp.frameworks import import_starter
from lmi.sources import Source, SourcesFile
from lmi.warehouse.db import session

runner = CliRunner()
FAST = {"LMI_CRAWL_LOG_LEVEL": "WARNING"}


def _warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    with session(db) as con:
        import_starter(con)
    return db


def _sources(tmp_path, entries):
    sf = SourcesFile(path=tmp_path / "sources.yaml", contact="tests@127.0.0.1")
    for e in entries:
        sf.add(e)
    sf.save()
    return sf.path


def _count(db, query):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query).fetchone()[0]
    finally:
        con.close()


def test_nightly_records_run_counts_and_failures(tmp_path):
    db = _warehouse(tmp_path)
    board = generate_postings(80, seed=7)
    with serve_board(board, extra_pages={}) as base:
        path = _sources(tmp_path, [
            Source(id="board", family="jsonld", urls=[f"{base}/jobs?page=1"]),
            # nothing listens on port 9 of the loopback: this source fails, the other still runs
            Source(id="dead", family="jsonld", urls=["http://127.0.0.1:9/jobs"]),
        ])
        r = runner.invoke(app, ["nightly", "--db", str(db), "--sources", str(path),
                                "--format", "json"], env=FAST)
        assert r.exit_code == 1, r.output
        per_source = {e["source_id"]: e for e in json.loads(r.stdout)["rows"]}
        assert per_source["board"]["status"] == "ok"
        assert per_source["board"]["postings_new"] == 80
        assert per_source["dead"]["status"] == "failed"
        status, record = duckdb.connect(str(db), read_only=True).execute(
            "SELECT status, per_source FROM nightly_runs").fetchone()
        assert status == "partial"
        assert {e["source_id"] for e in json.loads(record)} == {"board", "dead"}
        assert _count(db, "SELECT count(*) FROM postings") == 80
        assert _count(db, "SELECT count(*) FROM postings WHERE extracted_at IS NULL") == 0

        # a second night: nothing is due yet; forced, the unchanged board adds no rows
        r = runner.invoke(app, ["nightly", "--db", str(db), "--sources", str(path),
                                "--only", "board", "--format", "json"], env=FAST)
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["rows"] == []
        raw_before = _count(db, "SELECT count(*) FROM raw_postings")
        r = runner.invoke(app, ["nightly", "--db", str(db), "--sources", str(path),
                                "--only", "board", "--force", "--format", "json"], env=FAST)
        assert r.exit_code == 0, r.output
        entry = json.loads(r.stdout)["rows"][0]
        assert entry["postings_new"] == 0 and entry["not_modified"] == 80
        assert _count(db, "SELECT count(*) FROM raw_postings") == raw_before


@pytest.fixture
def slow_counting_board(monkeypatch):
    """serve_board that takes 10 ms per detail page and counts detail-page GETs."""
    from lmi.demo import server as board_server

    hits: list[str] = []
    original = board_server._handler

    def handler(*args, **kwargs):
        base = original(*args, **kwargs)

        class Slow(base):
            def do_GET(self):  # noqa: N802 - http.server API
                if self.path.startswith("/jobs/"):
                    hits.append(self.path)
                    time.sleep(0.01)
                super().do_GET()

        return Slow

    monkeypatch.setattr(board_server, "_handler", handler)
    return board_server.serve_board, hits


def test_killed_nightly_loses_nothing_and_counts_nothing_twice(tmp_path, slow_counting_board):
    serve, hits = slow_counting_board
    db = _warehouse(tmp_path)
    board = generate_postings(300, seed=11)
    with serve(board, extra_pages={}) as base:
        path = _sources(tmp_path, [Source(id="board", family="jsonld",
                                          urls=[f"{base}/jobs?page=1"])])
        cmd = [sys.executable, "-m", "lmi.cli.main", "nightly", "--db", str(db),
               "--sources", str(path)]
        proc = subprocess.Popen(cmd, env={**os.environ, **FAST}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(hits) < 200:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the nightly and its crawler child
        proc.wait()
        _wait_group_gone(proc.pid)
        fetched_before_kill = len(hits)
        assert 0 < fetched_before_kill < 300, "the kill should land mid-crawl"
        stored = _count(db, "SELECT count(*) FROM raw_postings")
        assert 0 < stored < 300, "some batches committed before the kill, not all"

        r = runner.invoke(app, ["nightly", "--db", str(db), "--sources", str(path), "--force"],
                          env=FAST)
        assert r.exit_code == 0, r.output
    assert _count(db, "SELECT count(*) FROM raw_postings") == 300
    assert _count(db, "SELECT count(DISTINCT url) FROM raw_postings") == 300
    assert _count(db, "SELECT count(*) FROM postings") == 300
    assert _count(db, "SELECT count(*) FROM crawl_runs WHERE status = 'failed'") == 1
    assert _count(db, "SELECT count(*) FROM nightly_runs WHERE status = 'ok'") == 1


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of group {pgid} still alive")


@pytest.fixture(autouse=True)
def _no_stray_lock(tmp_path):
    yield
    assert not any(p.suffix == ".tmp" for p in tmp_path.iterdir())


def test_two_extraction_workers_store_the_same_skills(tmp_path, monkeypatch):
    from lmi.nlp import parallel

    started = []
    original = parallel.ParallelExtractor.__init__

    def counting(self, extractor, workers=2, threads=1):
        started.append(workers)
        original(self, extractor, workers, threads)

    monkeypatch.setattr(parallel.ParallelExtractor, "__init__", counting)
    board = generate_postings(40, seed=11)
    found = {}
    with serve_board(board, extra_pages={}) as base:
        for workers in ("1", "2"):
            (tmp_path / workers).mkdir()
            db = _warehouse(tmp_path / workers)
            path = _sources(tmp_path / workers,
                            [Source(id="board", family="jsonld", urls=[f"{base}/jobs?page=1"])])
            r = runner.invoke(app, ["nightly", "--db", str(db), "--sources", str(path),
                                    "--format", "json"],
                              env={**FAST, "LMI_EXTRACT_WORKERS": workers,
                                   "LMI_PHRASE_CACHE": "0"})
            assert r.exit_code == 0, r.output
            assert _count(db, "SELECT count(*) FROM postings WHERE extracted_at IS NULL") == 0
            con = duckdb.connect(str(db), read_only=True)
            found[workers] = sorted(con.execute(
                "SELECT p.url, s.skill_id, s.start_char FROM posting_skills s "
                "JOIN postings p USING (posting_id)").fetchall())
            con.close()
    assert started == [2]                     # LMI_EXTRACT_WORKERS=1 stays in-process
    assert found["1"] and found["2"] == found["1"]
