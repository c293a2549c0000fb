"""Incremental crawling: conditional requests and sightings; crash safety of a killed crawl."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import threading

import duckdb
import pytest

import lmi.demo.server as board_server
from lmi.crawler.runner import (
    LOCAL_FAST_SETTINGS,
    allowed_hosts,
    crawl_command,
    new_run_id,
    parse_event,
    run_crawl,
)
from lmi.demo.board import generate_postings


@pytest.fixture
def counting_board(monkeypatch):
    """serve_board whose handler records (path, status-class, sent If-None-Match) per GET."""
    hits: list[tuple[str, bool]] = []
    lock = threading.Lock()
    original = board_server._handler

    def handler(*args, **kwargs):
        base = original(*args, **kwargs)

        class Counting(base):
            def do_GET(self):  # noqa: N802 - http.server API
                with lock:
                    hits.append((self.path, "If-None-Match" in self.headers))
                super().do_GET()

        return Counting

    monkeypatch.setattr(board_server, "_handler", handler)
    return board_server.serve_board, hits


def _query(db, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_second_crawl_of_an_unchanged_board_fetches_no_posting_bodies(counting_board, tmp_path):
    serve_board, hits = counting_board
    postings = generate_postings(60, seed=21)
    db = tmp_path / "inc.duckdb"
    detail_paths = {p["url"] for p in postings}
    with serve_board(postings, page_size=20) as base:
        first = run_crawl(db, "demo", [base + "/jobs"], settings=LOCAL_FAST_SETTINGS)
        first_hits = len(hits)
        second = run_crawl(db, "demo", [base + "/jobs"], settings=LOCAL_FAST_SETTINGS)
        second_details = [h for h in hits[first_hits:] if h[0] in detail_paths]
        postings[7]["title"] += " (revised)"
        third = run_crawl(db, "demo", [base + "/jobs"], settings=LOCAL_FAST_SETTINGS)

    assert first["postings_new"] == 60 and first["not_modified"] == 0
    # every detail page was asked conditionally and answered 304: no posting body fetched
    assert len(second_details) == 60 and all(conditional for _, conditional in second_details)
    assert second["not_modified"] == 60 and second["postings_new"] == 0
    assert second["postings_unchanged"] == 60
    assert third["not_modified"] == 59 and third["postings_changed"] == 1

    runs = _query(db, "SELECT run_id, not_modified, bodies_fetched FROM crawl_runs "
                      "ORDER BY started_at")
    assert [r[1] for r in runs] == [0, 60, 59]
    assert runs[1][2] == second["bodies_fetched"] == first["bodies_fetched"] - 60
    assert _query(db, "SELECT count(*) FROM raw_postings")[0][0] == 61
    sightings = dict(_query(db, "SELECT run_id, count(*) FROM posting_sightings GROUP BY 1"))
    assert [sightings[r[0]] for r in runs] == [60, 60, 60]   # every run saw every posting
    cached = _query(db, "SELECT count(*), count(etag), count(last_modified) FROM http_cache")
    assert cached == [(60, 60, 60)]


def test_a_killed_crawl_loses_nothing_and_counts_nothing_twice(tmp_path):
    postings = generate_postings(300, seed=8)
    db = tmp_path / "kill.duckdb"
    slow = {**LOCAL_FAST_SETTINGS, "CONCURRENT_REQUESTS": 2, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "LMI_BATCH_SIZE": 20, "LMI_PROGRESS_EVERY": 5}
    with board_server.serve_board(postings, page_size=50) as base:
        urls = [base + "/jobs"]
        settings = {**slow, "LMI_ALLOWED_DOMAINS": allowed_hosts(urls)}
        cmd = crawl_command(db, "demo", new_run_id("demo"), urls, settings=settings)
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        stored_at_kill = 0
        for line in child.stdout:
            event = parse_event(line) or {}
            if event.get("event") == "progress" and event["postings_new"] >= 40:
                stored_at_kill = event["postings_new"]
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
        child.stdout.close()
        assert 40 <= stored_at_kill < 300, "the crawl should be killed half-way"
        killed = _query(db, "SELECT status, postings_new FROM crawl_runs")
        assert killed[0][0] == "running"
        stored = _query(db, "SELECT count(*) FROM raw_postings")[0][0]
        assert stored == killed[0][1] >= stored_at_kill     # counters commit with their rows

        again = run_crawl(db, "demo", urls, settings=LOCAL_FAST_SETTINGS)

    assert again["status"] == "ok"
    runs = _query(db, "SELECT status, postings_new FROM crawl_runs ORDER BY started_at")
    assert [r[0] for r in runs] == ["failed", "ok"]              # stale run marked failed
    assert runs[0][1] + runs[1][1] == 300                         # each posting new once
    assert again["not_modified"] == stored                       # stored ones: a 304 each
    per_url = dict(_query(db, "SELECT url, count(*) FROM raw_postings GROUP BY 1"))
    assert set(per_url) == {base + p["url"] for p in postings}
    assert collections.Counter(per_url.values()) == {1: 300}
    errors = json.loads(_query(db, "SELECT errors FROM crawl_runs WHERE status = 'ok'")[0][0])
    assert {e["kind"] for e in errors} == {"no_jsonld", "malformed_jsonld"}
