"""Distributed mode: two crawler processes share one redis queue and duplicate filter.

Starts its own redis-server through scripts/redis.sh on a free port (installing it from
Debian if missing); fails with a clear message when that is impossible.
"""

from __future__ import annotations

import collections
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

import lmi.demo.server as board_server
from lmi.crawler.runner import LOCAL_FAST_SETTINGS, join_command, parse_event, run_crawl
from lmi.demo.board import generate_postings

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "redis.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = _free_port()
    env = {**os.environ, "LMI_REDIS_DIR": str(tmp_path_factory.mktemp("redis"))}
    started = subprocess.run(["bash", str(SCRIPT), "start", str(port)], capture_output=True,
                             text=True, env=env, timeout=300)
    if started.returncode != 0:
        pytest.fail("could not start redis-server via scripts/redis.sh (install it with "
                    f"`scripts/redis.sh install` or apt-get install redis-server):\n"
                    f"{started.stdout}{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(port)], env=env, timeout=60)


@pytest.fixture
def counting_board(monkeypatch):
    """serve_board counting GETs per path; detail pages answer after a short delay."""
    hits: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    original = board_server._handler

    def handler(*args, **kwargs):
        base = original(*args, **kwargs)

        class Counting(base):
            def do_GET(self):  # noqa: N802 - http.server API
                with lock:
                    hits[self.path] += 1
                if self.path.startswith("/jobs/"):
                    time.sleep(0.03)       # leave the second process time to join in
                super().do_GET()

        return Counting

    monkeypatch.setattr(board_server, "_handler", handler)
    return board_server.serve_board, hits


def test_two_processes_collect_every_posting_once_with_no_duplicate_fetch(
        counting_board, redis_url, tmp_path):
    serve_board, hits = counting_board
    postings = generate_postings(200, seed=17)
    db = tmp_path / "dist.duckdb"
    settings = {**LOCAL_FAST_SETTINGS, "CONCURRENT_REQUESTS": 4,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 4}
    # the second process joins like one on another machine would: no run id, just redis
    worker = subprocess.Popen(join_command(redis_url, wait_s=60), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        with serve_board(postings, page_size=25) as base:
            summary = run_crawl(db, "demo", [base + "/jobs"], settings=settings,
                                redis_url=redis_url)
        out, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    worker_done = [e for e in map(parse_event, out.splitlines()) if e and e["event"] == "done"]

    assert summary["status"] == "ok" and summary["workers"] == 2
    assert worker.returncode == 0 and worker_done and worker_done[0]["records"] > 0
    assert worker_done[0]["pages_fetched"] > 0             # both processes did real work
    detail = {p["url"] for p in postings}
    assert {path: hits[path] for path in detail} == dict.fromkeys(detail, 1)  # fetched once
    pages = [p for p in hits if p.startswith("/jobs?page=")]
    assert pages and all(hits[p] == 1 for p in pages)
    con = duckdb.connect(str(db), read_only=True)
    try:
        per_url = dict(con.execute("SELECT url, count(*) FROM raw_postings GROUP BY 1")
                       .fetchall())
        problems = json.loads(con.execute("SELECT problems FROM crawl_runs").fetchone()[0])
    finally:
        con.close()
    assert set(per_url) == {base + u for u in detail} and set(per_url.values()) == {1}
    assert summary["postings_new"] == 200 and summary["postings_seen"] == 200
    assert problems == {"no_jsonld": 2, "malformed_jsonld": 1}
    assert summary["pages_fetched"] == sum(hits.values())   # the lead counts both processes
