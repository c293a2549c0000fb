"""The JSON-LD crawler: parsing edge cases, validation, and end-to-end crawls of the demo board."""

from __future__ import annotations

import json
import socket
from datetime import date, datetime

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.jsonld import (
    SCHEMA_ORG,
    extract_jobpostings,
    parse_date,
    parse_datetime,
    parse_salary,
    to_item,
)
from lmi.crawler.keys import canonical_url, content_hash, raw_id
from lmi.crawler.pipelines import ValidationPipeline
from lmi.crawler.runner import LOCAL_FAST_SETTINGS, run_crawl
from lmi.demo.board import generate_postings
from lmi.demo.server import serve_board

NOW = datetime(2026, 11, 1, 12, 0)
HTTP_SCHEMA_ORG = SCHEMA_ORG.replace("https:", "http:")   # the older IRI form of the vocabulary


def _page(*blocks: str) -> str:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body>hi</body></html>"


def _item(posting: dict) -> JobPostingItem:
    return to_item(posting, source_id="s", url="https://x.example/1", fetched_at=NOW)


# ------------------------------------------------------------------ extraction

def test_graph_array_and_nested_postings_are_all_found():
    graph = json.dumps({"@context": SCHEMA_ORG, "@graph": [
        {"@type": "Organization", "name": "Acme"},
        {"@type": "JobPosting", "title": "A"}]})
    array = json.dumps([{"@type": ["JobPosting"], "title": "B"},
                        {"@type": "schema:JobPosting", "title": "C"}])
    nested = json.dumps({"@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "item": {"@type": HTTP_SCHEMA_ORG + "/JobPosting", "title": "D"}}]})
    found = extract_jobpostings(_page(graph, array, nested))
    assert sorted(p["title"] for p in found.postings) == ["A", "B", "C", "D"]
    assert found.blocks == 3 and found.errors == []


def test_malformed_json_is_reported_and_lenient_json_is_repaired():
    broken = '{"@type": "JobPosting", "title": "X", '
    repaired = '<!-- {"@type": "JobPosting", "title": "Y", "description": "line\nbreak",} -->'
    found = extract_jobpostings(_page(broken, repaired))
    assert [p["title"] for p in found.postings] == ["Y"]
    assert len(found.errors) == 1
    assert extract_jobpostings("<html><body>no scripts</body></html>").blocks == 0
    other = extract_jobpostings(_page('{"@type": "Organization", "name": "Acme"}'))
    assert other.postings == [] and other.errors == [] and other.blocks == 1


def test_location_list_region_and_telecommute():
    item = _item({"@type": "JobPosting", "title": "T", "description": "<p>d</p>",
                  "jobLocationType": ["TELECOMMUTE"],
                  "jobLocation": [
                      {"@type": "Place", "address": {"addressLocality": "Calgary",
                                                     "addressRegion": "AB", "postalCode": "T2P 1J9",
                                                     "addressCountry": {"@type": "Country",
                                                                        "name": "CA"}}},
                      {"@type": "Place", "address": "Edmonton, AB"}]})
    assert item.remote is True
    assert (item.address_locality, item.address_region, item.postal_code,
            item.address_country) == ("Calgary", "AB", "T2P 1J9", "CA")
    assert item.location_raw == "Calgary, AB, T2P 1J9, CA | Edmonton, AB"
    onsite = _item({"title": "T", "jobLocation": {"address": {"addressRegion": "Quebec"}}})
    assert onsite.remote is False and onsite.address_region == "Quebec"
    assert _item({"title": "T"}).remote is None


def test_salary_shapes():
    rng = {"@type": "MonetaryAmount", "currency": "CAD",
           "value": {"@type": "QuantitativeValue", "minValue": 60000, "maxValue": "80,000",
                     "unitText": "YEAR"}}
    assert parse_salary(rng) == {"currency": "CAD", "min": 60000.0, "max": 80000.0,
                                 "value": None, "unit": "YEAR"}
    single = {"currency": "CAD", "unitText": "hour", "value": {"value": "22.50"}}
    assert parse_salary(single)["value"] == 22.5 and parse_salary(single)["unit"] == "HOUR"
    flat = {"@type": "MonetaryAmount", "currency": "CAD", "value": 55000, "unitText": "YEAR"}
    assert parse_salary(flat)["value"] == 55000.0
    assert parse_salary([None, flat])["value"] == 55000.0
    assert parse_salary("$45,000")["value"] == 45000.0
    assert parse_salary({"currency": "CAD"}) is None and parse_salary(None) is None


def test_dates_are_parsed_leniently():
    assert parse_date("2025-05-01") == date(2025, 5, 1)
    assert parse_date("2025-05-01T23:30:00-05:00") == date(2025, 5, 1)   # as written
    assert parse_date("May 1, 2025") == date(2025, 5, 1)
    assert parse_date("1 May 2025") == date(2025, 5, 1)
    assert parse_date("not a date") is None and parse_date("2025-13-40") is None
    assert parse_datetime("2025-05-01T12:00:00Z") == datetime(2025, 5, 1, 12, 0)
    assert parse_datetime("2025-05-01T07:00:00-05:00") == datetime(2025, 5, 1, 12, 0)
    assert parse_datetime(1746100800) == datetime(2025, 5, 1, 12, 0)


def test_identifier_category_employment_type_and_organisation():
    item = _item({"title": " T ", "hiringOrganization": {"@type": "Organization", "name": "Acme"},
                  "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "REQ-9"},
                  "occupationalCategory": {"@type": "CategoryCode", "codeValue": "21232",
                                           "name": "Software developers and programmers"},
                  "employmentType": ["FULL_TIME", "CONTRACTOR"],
                  "industry": {"@type": "DefinedTerm", "name": "Construction"}})
    assert item.employer == "Acme" and item.identifier == "REQ-9"
    assert item.occupational_category == "21232 Software developers and programmers"
    assert item.employment_type == "FULL_TIME, CONTRACTOR" and item.industry == "Construction"


def test_keys_and_validation():
    assert canonical_url("HTTP://LocalHost:80/jobs/1?utm_source=x&id=3#top") == \
        "http://localhost/jobs/1?id=3"
    assert raw_id("s", "https://x.example/1", content_hash({"a": 1})) != \
        raw_id("s", "https://x.example/1", content_hash({"a": 2}))
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    pipe = ValidationPipeline()
    bad = pipe.process_item(_item({"title": "T"}))
    assert isinstance(bad, PageProblemItem) and bad.kind == "invalid"
    assert "description_html" in bad.detail
    future = pipe.process_item(_item({"title": "T", "description": "d",
                                      "datePosted": "2031-01-01"}))
    assert isinstance(future, JobPostingItem) and future.date_posted is None
    ok = pipe.process_item(_item({"title": "T", "description": "d", "datePosted": "2026-10-01"}))
    assert ok.date_posted == date(2026, 10, 1)


# ------------------------------------------------------------------ end to end

@pytest.fixture(scope="module")
def board():
    postings = generate_postings(60, seed=11)
    with serve_board(postings, page_size=20) as base:
        yield base, postings


def _raw(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT url, fetched_at, jsonld, posting_key, title FROM raw_postings"
                           ).fetchall()
    finally:
        con.close()


def _runs(db) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute("SELECT * FROM crawl_runs ORDER BY started_at")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_listing_crawl_then_recrawl_adds_nothing(board, tmp_path):
    base, postings = board
    db = tmp_path / "w.duckdb"
    events: list[dict] = []
    first = run_crawl(db, "demo", [base + "/jobs"], settings=LOCAL_FAST_SETTINGS,
                      on_progress=events.append)
    assert first["status"] == "ok" and first["postings_new"] == len(postings)
    assert first["problems"] == {"no_jsonld": 2, "malformed_jsonld": 1}
    assert events and all(e["status"] == "running" for e in events)
    rows = _raw(db)
    expected = {base + p["url"] for p in postings}
    assert sorted(r[0] for r in rows) == sorted(expected)          # each posting exactly once
    assert all(isinstance(r[1], datetime) for r in rows)
    by_url = {r[0]: json.loads(r[2]) for r in rows}
    sample = postings[0]
    assert by_url[base + sample["url"]]["title"] == sample["title"]
    assert by_url[base + sample["url"]]["description"] == sample["description"]

    second = run_crawl(db, "demo", [base + "/sitemap.xml"], sitemap=True,
                       settings=LOCAL_FAST_SETTINGS)
    assert second["postings_unchanged"] == len(postings) and second["postings_new"] == 0
    assert len(_raw(db)) == len(postings)
    runs = _runs(db)
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["pages_without_jsonld"] == 3 and runs[0]["postings_new"] == len(postings)
    kinds = {e["kind"] for e in json.loads(runs[0]["errors"])}
    assert kinds == {"no_jsonld", "malformed_jsonld"}
    assert runs[1]["postings_unchanged"] == len(postings)


def test_sitemap_crawl_via_cli_then_an_edited_posting_is_a_new_version(tmp_path):
    postings = generate_postings(15, seed=5)
    db = tmp_path / "s.duckdb"
    with serve_board(postings) as base:
        result = CliRunner().invoke(app, ["crawl", base + "/robots.txt", "--sitemap",
                                          "--source-id", "demo", "--db", str(db), "-f", "json"])
        assert result.exit_code == 0, result.output
        metrics = {r["metric"]: r["value"] for r in json.loads(result.output)["rows"]}
        assert metrics["postings_new"] == 15 and metrics["pages_without_jsonld"] == 3
        assert len(_raw(db)) == 15

        postings[3]["title"] += " (updated)"
        summary = run_crawl(db, "demo", [base + "/sitemap.xml"], sitemap=True,
                            settings=LOCAL_FAST_SETTINGS)
    assert (summary["postings_changed"], summary["postings_unchanged"],
            summary["postings_new"]) == (1, 14, 0)
    rows = _raw(db)
    assert len(rows) == 16 and len({r[3] for r in rows}) == 15
    assert sum(r[4].endswith("(updated)") for r in rows) == 1


def test_crawl_of_a_dead_site_fails_cleanly(tmp_path):
    with socket.socket() as sock:          # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(app, ["crawl", f"http://127.0.0.1:{port}/jobs",
                                      "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 1
    assert "fetch_error" in result.output
