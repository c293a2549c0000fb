"""Source-family spiders (Greenhouse, Lever, Ashby, Job Bank, feeds) end to end against fixture
servers on 127.0.0.1, plus fast tests of the pure parsers (microdata/RDFa, @graph, salaries)."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lmi.crawler.ats import ApiShapeError, board_token, lever_item, parse_board
from lmi.crawler.feeds import FeedError, feed_item, parse_feed
from lmi.crawler.jsonld import (
    SCHEMA_ORG,
    extract_jobpostings,
    normalise_unit,
    parse_salary,
    parse_salary_text,
    to_item,
)
from lmi.crawler.microdata import extract_items
from lmi.crawler.runner import LOCAL_FAST_SETTINGS, run_crawl
from lmi.crawler.spiders import SPIDERS, spider_for
from lmi.crawler.spiders.jobbank import posting_url
from tests.fixture_server import FixtureServer

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
NOW = datetime(2026, 11, 20, 12, 0)
JSON = {"Content-Type": "application/json; charset=utf-8"}
FIELD_KINDS = {"bad_date", "bad_salary"}   # field-level checks of the pipeline (not the spiders)


# fixtures and pages write the schema.org vocabulary IRI (an identifier, never fetched) as
# @SCHEMA@ (https) or @SCHEMA_HTTP@ (older pages), so tests name no outside host; both are
# filled in from the product's constant
SCHEMA_HTTP = SCHEMA_ORG.replace("https://", "http://", 1)


def _with_vocab(text: str) -> str:
    return text.replace("@SCHEMA_HTTP@", SCHEMA_HTTP).replace("@SCHEMA@", SCHEMA_ORG)


def _fixture(name: str) -> bytes:
    return _with_vocab((FIXTURES / name).read_text(encoding="utf-8")).encode("utf-8")


def _json(name: str) -> Any:
    return json.loads(_fixture(name))


ROUTES: dict[str, Any] = {
    "/v1/boards/acme/jobs": (200, JSON, _fixture("greenhouse/acme_jobs.json")),
    "/v1/boards/oldco/jobs": (200, JSON, _fixture("greenhouse/oldco_jobs_changed_shape.json")),
    "/v0/postings/acme?mode=json&limit=2&skip=0": (200, JSON, _fixture("lever/acme_page1.json")),
    "/v0/postings/acme?mode=json&limit=2&skip=2": (200, JSON, _fixture("lever/acme_page2.json")),
    "/v0/postings/acme?mode=json&limit=2&skip=4": (200, JSON, _fixture("lever/acme_page3.json")),
    "/posting-api/job-board/acme": (200, JSON, _fixture("ashby/acme_board.json")),
    "/jobsearch/jobsearch?searchstring=developer&locationstring=Ontario":
        _fixture("jobbank/search_page1.html"),
    "/jobsearch/jobsearch?searchstring=developer&locationstring=Ontario&page=2":
        _fixture("jobbank/search_page2.html"),
    "/jobsearch/jobposting/41000005": (410, {"Content-Type": "text/html"}, b"<h1>Expired</h1>"),
    "/feeds/jobs.rss": (200, {"Content-Type": "application/rss+xml"}, _fixture("feed/jobs.rss")),
    "/feeds/jobs.atom": (200, {"Content-Type": "application/atom+xml"},
                         _fixture("feed/jobs.atom")),
    "/feeds/moved": _fixture("feed/not_a_feed.html"),
}
for _n in (1, 2, 3, 4):
    ROUTES[f"/jobsearch/jobposting/4100000{_n}"] = _fixture(f"jobbank/posting_4100000{_n}.html")


@pytest.fixture(scope="module")
def server():
    with FixtureServer(ROUTES) as srv:
        yield srv


def _crawl(tmp_path: Path, family: str, urls: list[str], **overrides: Any
           ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    db = tmp_path / f"{family}.duckdb"
    summary = run_crawl(db, family, urls, family=family,
                        settings={**LOCAL_FAST_SETTINGS, **overrides})
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute("SELECT * FROM raw_postings WHERE source_id = ?", [family])
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        summary["family_stored"] = con.execute(
            "SELECT family FROM sources WHERE source_id = ?", [family]).fetchone()[0]
    finally:
        con.close()
    assert summary["status"] == "ok" and summary["family_stored"] == family
    summary["spider_problems"] = {k: v for k, v in summary["problems"].items()
                                  if k not in FIELD_KINDS}
    for row in rows:
        row["salary"] = json.loads(row["salary_json"]) if row["salary_json"] else None
        row["raw"] = json.loads(row["jsonld"])
    return summary, {r["url"]: r for r in rows}


# ------------------------------------------------------------------ end to end, per family

def test_registry_has_every_family():
    assert set(SPIDERS) >= {"jsonld", "greenhouse", "lever", "ashby", "jobbank", "feed"}
    assert {spider_for(f).name for f in SPIDERS} == set(SPIDERS) - {"jsonld"} | {"jobposting"}


def test_greenhouse_board_with_escaped_html_and_a_changed_shape(server, tmp_path):
    summary, rows = _crawl(tmp_path, "greenhouse", [server.url("/v1/boards/acme/jobs"),
                                                    server.url("/v1/boards/oldco/jobs")])
    jobs = _json("greenhouse/acme_jobs.json")["jobs"]
    well_formed = [j for j in jobs if isinstance(j["location"], dict)]
    assert summary["status"] == "ok" and summary["postings_new"] == len(well_formed) == 3
    # one record with a string location, one board without "jobs": both api_shape, crawl went on
    assert summary["spider_problems"] == {"api_shape": 2}
    assert set(rows) == {j["absolute_url"] for j in well_formed}
    first = rows[jobs[0]["absolute_url"]]
    assert first["title"] == jobs[0]["title"] and first["employer"] == "Acme Robotics"
    assert "<strong>data pipelines</strong>" in first["description_html"]
    assert "&lt;" not in first["description_html"]
    assert first["raw"]["content"] == jobs[0]["content"]          # the API record, as published
    assert first["date_posted"] == date(2026, 10, 2)               # first_published
    assert first["salary"]["min"] == 95000 and first["salary"]["currency"] == "CAD"
    assert (first["address_locality"], first["address_region"], first["remote"]) == \
        ("Toronto", "ON", False)
    empty = rows[jobs[1]["absolute_url"]]
    assert empty["location_raw"] is None and empty["remote"] is None
    assert empty["date_posted"] == date(2026, 10, 20)              # updated_at fallback
    remote = rows[jobs[2]["absolute_url"]]
    assert remote["remote"] is True and remote["date_posted"] is None   # "not-a-date"
    assert remote["salary"] is None                                      # "Competitive"


def test_lever_follows_skip_limit_pages(server, tmp_path):
    summary, rows = _crawl(tmp_path, "lever", [server.url("/v0/postings/acme?mode=json")],
                           LMI_API_PAGE_SIZE=2)
    pages = [_json(f"lever/acme_page{n}.json") for n in (1, 2, 3)]
    postings = [p for page in pages for p in page]
    assert summary["postings_new"] == len(postings) == 5 and summary["spider_problems"] == {}
    lever_hits = sorted(h for h in server.hits if h.startswith("/v0/postings/acme"))
    assert [h.rsplit("skip=", 1)[1] for h in lever_hits] == ["0", "2", "4"]  # stops on a short page
    assert set(rows) == {p["hostedUrl"] for p in postings}
    by_id = {r["raw"]["id"]: r for r in rows.values()}
    platform, support, cnc, books, nurse = (by_id[p["id"]] for p in postings)
    assert platform["salary"] == {"currency": "CAD", "min": 115000.0, "max": 140000.0,
                                  "value": None, "unit": "YEAR"}
    assert platform["location_raw"] == "Vancouver, BC | Calgary, AB"
    assert "<h3>What you'll do</h3>" in platform["description_html"]
    assert "Terraform" in platform["description_html"] and platform["employer"] == "acme"
    assert platform["date_posted"] == date(2026, 10, 12)           # createdAt, ms epoch
    assert support["remote"] is True and support["salary"] is None  # salaryRange absent
    assert cnc["salary"]["unit"] == "HOUR" and cnc["remote"] is False
    assert books["date_posted"] is None and books["salary"] is None  # bad createdAt, "n/a" pay
    assert nurse["employment_type"] == "Full-time"


def test_ashby_skips_unlisted_jobs_and_reads_compensation_tiers(server, tmp_path):
    summary, rows = _crawl(tmp_path, "ashby", [server.url("/posting-api/job-board/acme")])
    jobs = _json("ashby/acme_board.json")["jobs"]
    listed = [j for j in jobs if j["isListed"]]
    assert summary["postings_new"] == len(listed) == 3 and summary["spider_problems"] == {}
    assert set(rows) == {j["jobUrl"] for j in listed}
    assert any("includeCompensation=true" in h for h in server.hits)
    ml, field, writer = (rows[j["jobUrl"]] for j in listed)
    assert ml["salary"]["min"] == 130000 and ml["salary"]["unit"] == "YEAR"
    assert ml["location_raw"] == "Toronto | Montreal" and ml["address_region"] == "Ontario"
    assert ml["remote"] is False and ml["date_posted"] == date(2026, 10, 5)
    # no summary component: the span of the tier components (32-36 and 36-40 per hour)
    assert (field["salary"]["min"], field["salary"]["max"], field["salary"]["unit"]) == \
        (32.0, 40.0, "HOUR")
    assert writer["remote"] is True and writer["date_posted"] is None   # month 13
    assert writer["salary"] is None and writer["raw"]["isListed"] is True


def test_jobbank_search_pages_then_postings(server, tmp_path):
    start = server.url("/jobsearch/jobsearch?searchstring=developer&locationstring=Ontario")
    summary, rows = _crawl(tmp_path, "jobbank", [start])
    assert summary["postings_new"] == 4
    assert summary["spider_problems"] == {"http_error": 1}          # the expired (410) posting
    assert summary["problems"].get("bad_date", 0) <= 1              # validThrough "until filled"
    assert sum("page=2" in h for h in server.hits) == 1
    assert sum(h.startswith("/jobsearch/jobposting/41000001") for h in server.hits) == 1
    base = server.url("/jobsearch/jobposting/")
    assert set(rows) == {f"{base}4100000{n}" for n in (1, 2, 3, 4)}  # no jsessionid, no ?source
    rdfa = rows[base + "41000001"]
    assert (rdfa["title"], rdfa["employer"]) == ("software developer", "Maple Leaf Software Inc.")
    assert rdfa["occupational_category"] == "21232" and rdfa["identifier"] == "3012345"
    assert rdfa["salary"] == {"currency": "CAD", "min": 45.0, "max": 55.0, "value": None,
                              "unit": "HOUR"}
    assert rdfa["postal_code"] == "M5X 1A9" and rdfa["date_posted"] == date(2026, 10, 28)
    assert "Write, modify, integrate and test software code" in rdfa["description_html"]
    jsonld = rows[base + "41000002"]
    assert jsonld["employer"] == "Northern Lights Analytics"        # @graph @id reference
    assert jsonld["occupational_category"] == "21231 Software engineers and designers"
    assert jsonld["location_raw"] == "Ottawa, ON, CA | Gatineau, QC, CA"
    micro = rows[base + "41000003"]
    assert micro["remote"] is True and micro["address_country"] == "Canada"
    assert micro["salary"]["min"] == 70000 and micro["valid_through"] is None
    french = rows[base + "41000004"]
    assert french["title"] == "cuisinier/cuisinière" and french["address_locality"] == "Montréal"
    assert "Préparer et cuire des repas complets" in french["description_html"]
    assert (french["occupational_category"], french["identifier"]) == ("63200", "3012348")


def test_rss_and_atom_feeds(server, tmp_path):
    summary, rows = _crawl(tmp_path, "feed", [server.url("/feeds/jobs.rss"),
                                              server.url("/feeds/jobs.atom"),
                                              server.url("/feeds/moved")])
    assert summary["postings_new"] == 5 and summary["spider_problems"] == {"bad_feed": 1}
    nurse = rows["https://careers.coastalhealth.example/jobs/rn-emergency-1182"]
    assert nurse["description_html"].startswith("<p>Provide <strong>emergency nursing care")
    assert nurse["date_posted"] == date(2026, 11, 3) and nurse["employer"] == \
        "Coastal Health Partners"
    assert nurse["location_raw"] == "Halifax, NS" and nurse["salary"]["max"] == 52.0
    assert nurse["occupational_category"] == "Nursing, Healthcare"
    moa = rows["https://careers.coastalhealth.example/jobs/moa-1190"]
    assert moa["date_posted"] is None and moa["salary"] is None      # bad pubDate, "Competitive"
    assert "<em>EMR</em>" in moa["description_html"]                 # content:encoded wins
    assert (moa["address_locality"], moa["address_region"], moa["postal_code"]) == \
        ("Moncton", "NB", "E1C 4M3")
    assert rows["https://careers.coastalhealth.example/jobs/vcc-1201"]["remote"] is True
    atom = rows["https://www.jobbank.example/jobsearch/jobposting/41000101"]
    assert atom["title"] == "industrial electrician" and atom["employer"] == \
        "Northern Mine Services"
    assert atom["date_posted"] == date(2026, 11, 4) and atom["salary"]["value"] == 42.0
    xhtml = rows["https://www.jobbank.example/jobsearch/jobposting/41000102"]
    assert "<li>Working at heights</li>" in xhtml["description_html"]
    assert xhtml["date_posted"] == date(2026, 11, 2)                 # published before updated
    assert xhtml["raw"]["author"] == {"name": "Job Bank"}


# ------------------------------------------------------------------ pure parsers

MICRODATA_PAGE = """<html><body>
<div itemscope itemtype="@SCHEMA@/JobPosting">
  <h1 itemprop="title">Welder <small>(night shift)</small></h1>
  <meta itemprop="datePosted" content="2026-09-01">
  <div itemprop="hiringOrganization" itemscope itemtype="@SCHEMA@/Organization">
    <a itemprop="url" href="https://steel.example">site</a><span itemprop="name">Steel Co</span>
  </div>
  <div itemprop="jobLocation" itemscope itemtype="@SCHEMA@/Place">
    <div itemprop="address" itemscope itemtype="@SCHEMA@/PostalAddress">
      <span itemprop="addressLocality">Hamilton</span><span itemprop="addressRegion">ON</span>
    </div></div>
  <div itemprop="jobLocation" itemscope itemtype="@SCHEMA@/Place">
    <span itemprop="address">Welland, ON</span></div>
  <div itemprop="baseSalary" itemscope itemtype="@SCHEMA@/MonetaryAmount">
    <meta itemprop="currency" content="CAD">
    <div itemprop="value" itemscope itemtype="@SCHEMA@/QuantitativeValue">
      <meta itemprop="minValue" content="30"><meta itemprop="maxValue" content="36.5">
      <meta itemprop="unitText" content="HOUR"></div></div>
  <div itemprop="identifier" itemscope itemtype="@SCHEMA@/PropertyValue">
    <meta itemprop="name" content="Steel Co"><meta itemprop="value" content="W-77"></div>
  <div itemprop="description"><p>MIG &amp; TIG welding.</p></div>
</div></body></html>"""
MICRODATA_PAGE = _with_vocab(MICRODATA_PAGE)


def test_microdata_nested_items_and_values():
    (item,) = extract_items(MICRODATA_PAGE)
    assert item["@type"] == "JobPosting" and item["title"] == "Welder (night shift)"
    assert item["hiringOrganization"] == {"@type": "Organization",
                                          "url": "https://steel.example", "name": "Steel Co"}
    assert len(item["jobLocation"]) == 2                              # repeated itemprop -> list
    assert item["description"] == "<p>MIG &amp; TIG welding.</p>"    # inner HTML kept
    found = extract_jobpostings(MICRODATA_PAGE)
    assert found.blocks == 0 and found.microdata == 1
    posting = to_item(found.postings[0], source_id="s", url="u", fetched_at=NOW)
    assert posting.location_raw == "Hamilton, ON | Welland, ON"
    assert (posting.address_locality, posting.employer, posting.identifier) == \
        ("Hamilton", "Steel Co", "W-77")
    assert posting.salary == {"currency": "CAD", "min": 30.0, "max": 36.5, "value": None,
                              "unit": "HOUR"}
    assert posting.date_posted == date(2026, 9, 1)


def test_rdfa_prefixes_and_json_ld_wins_over_microdata():
    rdfa = (f'<div vocab="{SCHEMA_HTTP}/" typeof="JobPosting"><span property="schema:title">'
            'Baker</span><span property="datePosted" content="2026-08-02">Aug 2</span></div>')
    (item,) = extract_jobpostings(rdfa).postings
    assert item["title"] == "Baker" and item["datePosted"] == "2026-08-02"
    both = ('<script type="application/ld+json">{"@type": "JobPosting", "title": "From LD"}'
            '</script>' + rdfa)
    found = extract_jobpostings(both)
    assert [p["title"] for p in found.postings] == ["From LD"] and found.microdata == 0


def test_graph_references_remote_regions_and_escaped_description():
    block = json.dumps({"@context": SCHEMA_ORG, "@graph": [
        {"@type": "Organization", "@id": "https://x.example/#org", "name": "Acme"},
        {"@type": "JobPosting", "title": "T", "hiringOrganization": {"@id": "https://x.example/#org"},
         "jobLocationType": "TELECOMMUTE", "description": "&lt;p&gt;Hi&lt;/p&gt;",
         "applicantLocationRequirements": [{"@type": "State", "name": "Ontario"},
                                           {"@type": "Country", "name": "Canada"}]}]})
    page = f'<script type="application/ld+json">{block}</script>'
    posting = to_item(extract_jobpostings(page).postings[0], source_id="s", url="u",
                      fetched_at=NOW)
    assert posting.employer == "Acme" and posting.remote is True
    assert (posting.address_region, posting.address_country, posting.location_raw) == \
        ("Ontario", "Canada", "Ontario | Canada")
    assert posting.description_html == "<p>Hi</p>"


@pytest.mark.parametrize(("text", "expected"), [
    ("$25.50 to $30 hourly", (None, 25.5, 30.0, None, "HOUR")),
    ("CAD 80K-95K per year", ("CAD", 80000.0, 95000.0, None, "YEAR")),
    ("18,50 $ à 20,00 $ de l'heure", (None, 18.5, 20.0, None, "HOUR")),   # decimal comma
    ("55 000 $ par année", (None, None, None, 55000.0, "YEAR")),           # French thousands
    ("US$1,200.50 weekly", ("USD", None, None, 1200.5, "WEEK")),
    ("Competitive", None),
    ("", None),
])
def test_salary_text_shapes(text, expected):
    parsed = parse_salary_text(text)
    got = None if parsed is None else (parsed["currency"], parsed["min"], parsed["max"],
                                       parsed["value"], parsed["unit"])
    assert got == expected


def test_salary_units_and_monetary_amount_without_inner_value():
    assert [normalise_unit(u) for u in ("1 YEAR", "per-hour-wage", "Annually", "bi-weekly",
                                        "MONTH", None)] == \
        ["YEAR", "HOUR", "YEAR", "BIWEEKLY", "MONTH", None]
    flat = {"@type": "MonetaryAmount", "currency": "CAD", "minValue": "50,000",
            "maxValue": 60000, "unitText": "annual"}
    assert parse_salary(flat) == {"currency": "CAD", "min": 50000.0, "max": 60000.0,
                                  "value": None, "unit": "YEAR"}
    assert parse_salary("between $20 and $24 an hour")["min"] == 20.0


def test_api_shapes_are_checked_per_record_and_per_response():
    assert board_token("greenhouse", "https://greenhouse.example/v1/boards/shopify/jobs") \
        == "shopify"
    assert board_token("lever", "https://api.lever.example/v0/postings/acme?mode=json") == "acme"
    changed = parse_board("lever", {"postings": []}, source_id="s",
                          url="https://api.lever.example/v0/postings/acme", fetched_at=NOW)
    assert changed.items == [] and [p.kind for p in changed.problems] == ["api_shape"]
    assert '"postings"' in changed.problems[0].sample
    records = [{"id": "a", "text": "Ok", "hostedUrl": "https://jobs.lever.example/acme/a"},
               {"id": "b", "text": "Bad", "hostedUrl": "https://jobs.lever.example/acme/b",
                "categories": ["not", "a", "dict"]}, "junk"]
    mixed = parse_board("lever", records, source_id="s",
                        url="https://api.lever.example/v0/postings/acme", fetched_at=NOW)
    assert [i.title for i in mixed.items] == ["Ok"] and len(mixed.problems) == 2
    with pytest.raises(ApiShapeError):
        lever_item({"id": "c", "text": "No URL"}, source_id="s", board="acme", fetched_at=NOW)
    no_jobs = parse_board("ashby", {"apiVersion": "1"}, source_id="s",
                          url="https://api.ashbyhq.example/posting-api/job-board/acme",
                          fetched_at=NOW)
    assert no_jobs.problems[0].kind == "api_shape"


def test_indeed_style_job_feed_and_non_feeds():
    body = b"""<?xml version="1.0"?><source><publisher>Board</publisher>
      <job><title><![CDATA[Forklift Operator]]></title>
      <date><![CDATA[Fri, 06 Nov 2026 22:49:39 GMT]]></date>
      <referencenumber><![CDATA[FO-1]]></referencenumber><url><![CDATA[https://b.example/j/1]]></url>
      <company><![CDATA[Depot Ltd]]></company><city><![CDATA[Regina]]></city><state>SK</state>
      <country>CA</country><description><![CDATA[<p>Drive forklifts</p>]]></description>
      <salary><![CDATA[$21 per hour]]></salary><jobtype>fulltime</jobtype></job></source>"""
    feed = parse_feed(body)
    assert feed.kind == "jobs" and len(feed.entries) == 1
    item = feed_item(feed.entries[0], source_id="s", url="https://b.example/j/1", fetched_at=NOW)
    assert (item.title, item.employer, item.identifier, item.location_raw) == \
        ("Forklift Operator", "Depot Ltd", "FO-1", "Regina, SK, CA")
    assert item.date_posted == date(2026, 11, 6) and item.salary["unit"] == "HOUR"
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>not a feed</body></html>")
    with pytest.raises(FeedError):
        parse_feed(b"")


def test_jobbank_posting_urls_and_fixture_server_query_matching(server):
    assert posting_url("https://www.jobbank.example/jobsearch/jobposting/123;jsessionid=AB.x"
                       "?source=searchresults") == "https://www.jobbank.example/jobsearch/jobposting/123"
    assert posting_url("https://www.guichetemplois.example/rechercheemplois/offredemploi/9?x=1") \
        == "https://www.guichetemplois.example/rechercheemplois/offredemploi/9"
    assert posting_url("https://www.jobbank.example/jobsearch/jobsearch?page=2") is None
    url = server.url("/v0/postings/acme?skip=2&limit=2&mode=json")  # any parameter order
    with urllib.request.urlopen(url) as resp:                       # noqa: S310 - loopback only
        assert json.loads(resp.read())[0]["text"] == "CNC Machinist"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(server.url("/nowhere"))               # noqa: S310
