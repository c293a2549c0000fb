"""Bad input never stops a crawl: each problem is counted in crawl_runs with a sample.

A fixture server on 127.0.0.1 serves a listing linking to good postings and to pages with
malformed JSON-LD, unusable dates/salaries, non-UTF-8 bytes, a huge body, a redirect loop,
an off-site redirect, a 500, a 429 with Retry-After; a second path serves a JSON API whose
shape changed. Plus unit checks of the host guard and the Retry-After parser.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from lmi.crawler.jsonld import SCHEMA_ORG
from lmi.crawler.middlewares import address_problem, retry_after_seconds
from lmi.crawler.runner import LOCAL_FAST_SETTINGS, run_crawl

MAXSIZE = 200_000


def _posting(title: str, **extra: object) -> dict:
    return {"@context": SCHEMA_ORG, "@type": "JobPosting", "title": title,
            "description": f"<p>{title}: maintain and repair equipment.</p>",
            "datePosted": "2026-10-01", "hiringOrganization": {"name": "Acme"}, **extra}


def _html(*blocks: str) -> bytes:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return (f'<html><head><meta charset="utf-8">{scripts}</head>'
            f"<body><p>job</p></body></html>").encode()


GOOD = [f"/jobs/good-{i}" for i in range(3)]
BAD = ["/jobs/malformed", "/jobs/bad-fields", "/jobs/latin1", "/jobs/huge", "/jobs/loop-a",
       "/jobs/offsite", "/jobs/error", "/jobs/busy"]


def _routes() -> dict[str, tuple[int, dict[str, str], bytes]]:
    html = "text/html; charset=utf-8"
    listing = "".join(f'<a href="{p}">{p}</a>' for p in GOOD + BAD)
    latin1 = _html(json.dumps(_posting("Soudeur"), ensure_ascii=False)).replace(
        b"Soudeur", "Soudeur qualifi\u00e9".encode("latin-1"))
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/jobs": (200, {"Content-Type": html}, f"<html><body>{listing}</body></html>".encode()),
        "/jobs/malformed": (200, {"Content-Type": html},
                            _html('{"@type": "JobPosting", "title": "Broken", ')),
        "/jobs/bad-fields": (200, {"Content-Type": html}, _html(json.dumps(_posting(
            "Millwright", datePosted="32/13/2026", baseSalary={"currency": "CAD",
                                                                "value": "competitive"})))),
        "/jobs/latin1": (200, {"Content-Type": html}, latin1),
        "/jobs/huge": (200, {"Content-Type": html}, b"<html><body>" + b"x" * (MAXSIZE * 3)),
        "/jobs/loop-a": (302, {"Location": "/jobs/loop-b"}, b""),
        "/jobs/loop-b": (302, {"Location": "/jobs/loop-a"}, b""),
        "/jobs/offsite": (301, {"Location": "http://jobs.elsewhere.invalid/x"}, b""),
        "/jobs/error": (500, {"Content-Type": "text/plain"}, b"Internal Server Error: boom"),
        "/v1/boards/acme/jobs": (200, {"Content-Type": "application/json"},
                                 json.dumps({"jobs": {"moved": "to /v2"}}).encode()),
    }
    for path in GOOD:
        routes[path] = (200, {"Content-Type": html}, _html(json.dumps(_posting(path))))
    return routes


@contextmanager
def fixture_server() -> Iterator[tuple[str, dict[str, list[float]]]]:
    """Serve the routes on 127.0.0.1; yield (base URL, {path: [request times]})."""
    routes = _routes()
    hits: dict[str, list[float]] = defaultdict(list)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path.split("?", 1)[0]
            hits[path].append(time.monotonic())
            if path == "/jobs/busy":   # first a 429 with Retry-After, then the posting
                status, headers, body = ((429, {"Retry-After": "1"}, b"slow down")
                                         if len(hits[path]) == 1 else
                                         (200, {"Content-Type": "text/html"},
                                          _html(json.dumps(_posting("Busy")))))
            else:
                status, headers, body = routes.get(path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass   # the crawler aborts the huge download: a reset connection is expected

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _run_row(db, run_id: str) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute("SELECT * FROM crawl_runs WHERE run_id = ?", [run_id])
        row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
        row["titles"] = sorted(r[0] for r in con.execute("SELECT title FROM raw_postings")
                               .fetchall())
        return row
    finally:
        con.close()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("robust") / "r.duckdb"
    settings = {**LOCAL_FAST_SETTINGS, "DOWNLOAD_MAXSIZE": MAXSIZE, "DOWNLOAD_WARNSIZE": 0,
                "RETRY_TIMES": 2}
    with fixture_server() as (base, hits):
        summary = run_crawl(db, "robust", [base + "/jobs"], settings=settings)
        api = run_crawl(db, "robust-api", [base + "/v1/boards/acme/jobs"], family="greenhouse",
                        settings=settings)
    return db, summary, api, hits


def test_every_bad_page_is_counted_and_the_crawl_goes_on(crawled):
    db, summary, _api, _hits = crawled
    assert summary["status"] == "ok"
    problems = summary["problems"]
    for kind in ("malformed_jsonld", "bad_date", "bad_salary", "bad_encoding", "too_large",
                 "redirect_loop", "offsite_redirect", "http_error"):
        assert problems.get(kind) == 1, (kind, problems)
    row = _run_row(db, summary["run_id"])
    assert row["status"] == "ok" and json.loads(row["problems"]) == problems
    samples = {s["kind"]: s for s in json.loads(row["errors"])}
    assert set(samples) >= set(problems)
    assert "Broken" in samples["malformed_jsonld"]["sample"]
    assert "boom" in samples["http_error"]["sample"]
    assert "32/13/2026" in samples["bad_date"]["detail"]
    assert "competitive" in samples["bad_salary"]["detail"]
    assert "loop-b" in samples["redirect_loop"]["detail"]
    assert "elsewhere.invalid" in samples["offsite_redirect"]["detail"]


def test_good_and_salvageable_postings_are_all_stored(crawled):
    db, summary, _api, _hits = crawled
    titles = _run_row(db, summary["run_id"])["titles"]
    # the three good ones, the one with bad fields, the latin-1 one, the one behind a 429
    assert len(titles) == 6 and summary["postings_new"] == 6
    assert "Millwright" in titles and "Busy" in titles
    assert any(t.startswith("Soudeur qualifi") for t in titles)


def test_5xx_is_retried_then_counted_and_429_waits_for_retry_after(crawled):
    _db, _summary, _api, hits = crawled
    assert len(hits["/jobs/error"]) == 3                       # first try + RETRY_TIMES
    busy = hits["/jobs/busy"]
    assert len(busy) == 2 and busy[1] - busy[0] >= 0.95      # Retry-After: 1 honoured
    assert len(hits["/jobs/loop-a"]) == 1 and len(hits["/jobs/loop-b"]) == 1  # loop cut
    assert "/x" not in hits                                    # off-site target never fetched


def test_json_api_that_changed_shape_is_a_counted_problem(crawled):
    db, _summary, api, _hits = crawled
    assert api["pages_fetched"] >= 1 and api["postings_seen"] == 0
    assert api["problems"] == {"api_shape": 1}
    samples = json.loads(_run_row(db, api["run_id"])["errors"])
    assert samples[0]["kind"] == "api_shape" and "moved" in samples[0]["sample"]


def test_host_guard_and_retry_after_parsing():
    assert address_problem("10.1.2.3", loopback_ok=True) is not None      # private range
    assert address_problem("169.254.169.254", loopback_ok=True) is not None  # link-local
    assert address_problem("127.0.0.1", loopback_ok=False) is not None
    assert address_problem("127.0.0.1", loopback_ok=True) is None
    assert address_problem("8.8.8.8", loopback_ok=False) is None          # public: allowed
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
