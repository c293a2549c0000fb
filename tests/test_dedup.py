"""Posting deduplication: URL canonicalisation, pair cases, clustering, warehouse step, eval CLI."""

from __future__ import annotations

import json
import random

import duckdb
import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.warehouse import dedup
from lmi.warehouse.db import apply_schema

ABOUT = ("<p>Founded in 1987, Tidewater Software Inc. builds banking software used by credit "
         "unions across Canada. Our 350 people in Halifax and Moncton care about craft.</p>")
ROLE = ("<p>We are hiring a Software Developer for our payments team in Halifax.</p><ul>"
        "<li>Design, build and maintain payment services in Python and Go</li>"
        "<li>Write clean, well-tested code and take part in code reviews</li>"
        "<li>Monitor production systems and join the on-call rotation</li>"
        "<li>Work with product managers to turn requirements into releases</li>"
        "<li>Improve reliability, latency and security of the ledger</li></ul>"
        "<h3>What you bring</h3><ul><li>3+ years of professional development experience</li>"
        "<li>Strong SQL and relational database knowledge</li>"
        "<li>Experience with Docker and Kubernetes on AWS</li></ul>")
BENEFITS = ("<p>Salary: $92,000 - $110,000 per year. Health and dental from day one, "
            "four weeks of vacation and a learning budget.</p>")
OUTRO = ("<p>Tidewater Software is an equal opportunity employer. Accommodations are available "
         "on request. Apply now through our careers site before March 14, 2025.</p>")


def post(pid: str, **kw) -> dict:
    base = {"posting_id": pid, "source_id": "indeed", "identifier": None,
            "url": f"https://board-a.example/viewjob?jk={pid}", "title": "Software Developer",
            "employer": "Tidewater Software Inc.", "description": ABOUT + ROLE + BENEFITS + OUTRO,
            "city": "Halifax", "province": "NS", "location_raw": "Halifax, NS",
            "date_posted": "2025-02-10"}
    base.update(kw)
    return base


def same_cluster(a: dict, b: dict) -> bool:
    clusters = dedup.find_duplicate_clusters([a, b])
    return clusters[a["posting_id"]] == clusters[b["posting_id"]]


@pytest.mark.parametrize(("left", "right"), [
    ("https://WWW.Jobs.example:443/job/42/?utm_source=x&utm_medium=y#apply", "https://jobs.example/job/42"),
    ("http://jobs.example/job/42?gclid=1&fbclid=2&ref=share", "https://jobs.example/job/42"),
    ("https://board-a.example/viewjob?jk=abc&from=serp", "https://board-a.example/viewjob?jk=abc"),
    ("https://x.example/jobs?b=2&id=7&source=rss", "https://x.example/jobs/?id=7&b=2"),
])
def test_canonical_url_folds_tracking_variants(left: str, right: str) -> None:
    assert dedup.canonical_url(left) == dedup.canonical_url(right)


@pytest.mark.parametrize(("left", "right"), [
    ("https://board-a.example/viewjob?jk=abc", "https://board-a.example/viewjob?jk=abd"),
    ("https://jobs.example:8443/job/42", "https://jobs.example/job/42"),
    ("https://jobs.example/job/42", "https://jobs.example/job/43"),
])
def test_canonical_url_keeps_meaningful_parts(left: str, right: str) -> None:
    assert dedup.canonical_url(left) != dedup.canonical_url(right)


def test_canonical_url_empty_and_exact_keys() -> None:
    assert dedup.canonical_url(None) == ""
    keys = dedup.exact_keys({"source_id": "jobbank", "identifier": "JB-9", "url": ""})
    assert keys == ["id:jobbank:jb-9"]


def test_normalise_text_strips_html_numbers_and_boilerplate() -> None:
    text = dedup.normalise_text("<p>Pay: $25.50/hour</p><ul><li>Drive a forklift on 2025-03-01"
                                "</li></ul><p>We are an Equal Opportunity Employer.</p>"
                                "<p>Write to hr@x.example or visit https://x.example/jobs</p>")
    assert "<" not in text and "25" not in text and "equal" not in text
    assert "drive a forklift on date" in text and "email" in text and "url" in text


def test_employer_and_location_normalisation() -> None:
    assert dedup.normalise_employer("Groupe Dynamite Ltée") == "groupe dynamite"
    assert dedup.normalise_employer("Shopify Inc.") == dedup.normalise_employer("SHOPIFY")
    assert [dedup.employer_kind(n) for n in ("Confidential", "", "Randstad Canada", "Loblaw")] \
        == ["hidden", "hidden", "agency", "named"]
    assert dedup.location_key({"location_raw": "Montréal, Québec H2X 1Y4"}) == ("montreal", "QC")
    assert dedup.location_key({"location_raw": "Calgary AB"}) == ("calgary", "AB")
    assert dedup.locations_conflict(("toronto", "ON"), ("ottawa", "ON"))
    assert not dedup.locations_conflict(("toronto", "ON"), ("", "ON"))


# ---- one hand-written pair per case ------------------------------------------------------

def test_exact_copy_on_two_boards_is_duplicate() -> None:
    plain = (ABOUT + ROLE + BENEFITS + OUTRO).replace("<li>", "\n• ").replace("</li>", "")
    a = post("a1", url="https://board-a.example/viewjob?jk=9f&utm_campaign=google_jobs")
    b = post("b1", source_id="talent", url="https://board-b.example/view?id=77&utm_source=feed",
             employer="Tidewater Software", description=plain, city=None, province=None,
             location_raw="Halifax, Nova Scotia")
    assert dedup.pair_decision(a, b)[:2] == (True, "text")
    assert same_cluster(a, b)


def test_url_and_identifier_variants_are_exact_duplicates() -> None:
    a = post("a2", url="https://board-a.example/viewjob?jk=9f&from=serp")
    b = post("b2", url="HTTPS://board-a.example/viewjob/?jk=9f&utm_source=x#top", description="")
    assert dedup.pair_decision(a, b)[:2] == (True, "url")
    c = post("c2", source_id="jobbank", identifier="JB123", url="https://jobbank.example/p/1")
    d = post("d2", source_id="jobbank", identifier="JB123", url="https://jobbank.example/p/1-2")
    assert dedup.pair_decision(c, d)[:2] == (True, "identifier")


def test_repost_with_edits_is_duplicate() -> None:
    edited = (ABOUT + ROLE.replace("</ul><h3>", "<li>Mentor two junior developers</li></ul><h3>")
              + BENEFITS.replace("92,000", "98,000") + OUTRO.replace("March 14", "May 2"))
    a = post("a3")
    b = post("b3", description=edited, date_posted="2025-04-01", title="Software Developer - "
             "Immediate Start", url="https://board-a.example/viewjob?jk=new")
    assert same_cluster(a, b)


def test_agency_copy_is_duplicate() -> None:
    intro = ("<p>Our client, a well-established software company in Halifax, is looking for a "
             "Software Developer to join their growing team.</p>")
    outro = "<p>Beacon Staffing is an equal opportunity staffing firm. Apply today.</p>"
    a = post("a4")
    for employer in ("Confidential", "", "Beacon Staffing Solutions"):
        b = post("b4", employer=employer, description=intro + ROLE + outro,
                 source_id="linkedin", url="https://social.example/jobs/view/5")
        assert same_cluster(a, b), employer


def test_same_text_in_another_city_is_not_duplicate() -> None:
    a = post("a5")
    b = post("b5", description=(ABOUT + ROLE + BENEFITS + OUTRO).replace("Halifax.", "Moncton."),
             city="Moncton", province="NB", location_raw="Moncton, NB",
             url="https://board-a.example/viewjob?jk=other")
    assert dedup.pair_decision(a, b)[0] is False
    assert not same_cluster(a, b)


def test_same_employer_same_title_other_team_is_not_duplicate() -> None:
    other_role = ("<p>We are hiring a Software Developer for our mobile banking team.</p><ul>"
                  "<li>Build iOS and Android features in Swift and Kotlin</li>"
                  "<li>Own the release pipeline for the member app</li>"
                  "<li>Partner with designers on accessibility of every screen</li>"
                  "<li>Instrument app analytics and crash reporting</li></ul>"
                  "<h3>What you bring</h3><ul><li>Shipped apps in the App Store or Play Store</li>"
                  "<li>3+ years of professional development experience</li></ul>")
    a = post("a6")
    b = post("b6", description=ABOUT + other_role + BENEFITS + OUTRO,
             url="https://board-a.example/viewjob?jk=mobile")
    assert not same_cluster(a, b)


def test_generic_title_at_other_employers_is_not_duplicate() -> None:
    template = ("<p>{emp} is hiring a Warehouse Associate in Mississauga.</p><ul>"
                "<li>Pick and pack orders accurately using an RF scanner</li>"
                "<li>Load and unload trucks and containers</li>"
                "<li>Keep work areas clean, safe and organised</li>{extra}</ul>"
                "<p>Job Type: Full-time. Pay: $19.00 per hour. Benefits: dental care, "
                "on-site parking. Schedule: 8 hour shift. Work Location: In person.</p>"
                "<p>We are an equal opportunity employer. Apply now!</p>")
    a = post("a7", title="Warehouse Associate", employer="Boreal Distribution",
             city="Mississauga", province="ON", location_raw="Mississauga, ON",
             description=template.format(emp="Boreal Distribution", extra="<li>Perform cycle "
                                         "counts and report discrepancies</li>"))
    b = post("b7", title="Warehouse Associate", employer="Crosstown Delivery",
             city="Mississauga", province="ON", location_raw="Mississauga, ON",
             url="https://board-a.example/viewjob?jk=xd",
             description=template.format(emp="Crosstown Delivery", extra="<li>Label, wrap and "
                                         "stage pallets for the evening courier run</li>"))
    decision, _, info = dedup.pair_decision(a, b)
    assert info["employer"] == "other" and decision is False


# ---- clustering ----------------------------------------------------------------------------

def _chain() -> list[dict]:
    """a -> b -> c: each step a repost with edits; a and c differ more than a and b."""
    bullets = [f"<li>Responsibility number {w} for the ledger team</li>" for w in
               ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")]
    extra = [f"<li>Extra duty {w} added later to the posting</li>" for w in
             ("india", "juliet", "kilo", "lima", "mike", "november")]
    body = ABOUT + "<ul>" + "".join(bullets) + "</ul>"
    return [post("p-a", description=body + "</ul>"),
            post("p-b", description=body + "<ul>" + "".join(extra[:3]) + "</ul>",
                 url="https://board-a.example/viewjob?jk=b2"),
            post("p-c", description=body + "<ul>" + "".join(extra) + "</ul>",
                 url="https://board-a.example/viewjob?jk=c3")]


def test_clustering_is_transitive_and_deterministic() -> None:
    postings = _chain() + [post("p-z", title="Registered Nurse", employer="Bayview Hospital",
                                description="<p>Provide acute care on the surgical unit, assess "
                                            "patients and document care in Epic every shift.</p>",
                                url="https://board-a.example/viewjob?jk=rn")]
    clusters = dedup.find_duplicate_clusters(postings)
    assert clusters["p-a"] == clusters["p-b"] == clusters["p-c"] == "p-a"
    assert clusters["p-z"] == "p-z"
    for seed in range(3):
        shuffled = postings[:]
        random.Random(seed).shuffle(shuffled)
        assert dedup.find_duplicate_clusters(shuffled) == clusters


def test_cluster_never_spans_two_known_cities() -> None:
    toronto = post("l-1", city="Toronto", province="ON", location_raw="Toronto, ON")
    unknown = post("l-2", city=None, province=None, location_raw=None,
                   url="https://board-a.example/viewjob?jk=u")
    ottawa = post("l-3", city="Ottawa", province="ON", location_raw="Ottawa, ON",
                  url="https://board-a.example/viewjob?jk=o")
    clusters = dedup.find_duplicate_clusters([toronto, unknown, ottawa])
    assert clusters["l-1"] != clusters["l-3"]
    assert clusters["l-2"] in (clusters["l-1"], clusters["l-3"])


# ---- warehouse step -----------------------------------------------------------------------

def _insert(con: duckdb.DuckDBPyConnection, p: dict) -> None:
    con.execute(
        "INSERT INTO postings (posting_id, raw_id, source_id, url, title, employer, description,"
        " date_posted, location_raw, city, province, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now())",
        [p["posting_id"], "raw-" + p["posting_id"], p["source_id"], p["url"], p["title"],
         p["employer"], p["description"], p["date_posted"], p["location_raw"], p["city"],
         p["province"]])


def test_dedup_warehouse_is_idempotent_and_incremental(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    apply_schema(con)
    a, b, c = _chain()
    agency = post("p-d", employer="Confidential", url="https://social.example/jobs/view/1",
                  description=a["description"])
    other_city = post("p-e", city="Moncton", province="NB", location_raw="Moncton, NB",
                      url="https://board-a.example/viewjob?jk=e")
    for p in (a, b, other_city):
        _insert(con, p)
    first = dedup.dedup_warehouse(con)
    table = con.execute("SELECT * FROM posting_clusters ORDER BY posting_id").fetchall()
    assert first["postings"] == 3 and first["unique_jobs"] == 2 and first["duplicates"] == 1
    assert dedup.dedup_warehouse(con) == first
    assert con.execute("SELECT * FROM posting_clusters ORDER BY posting_id").fetchall() == table
    for p in (c, agency):
        _insert(con, p)
    second = dedup.dedup_warehouse(con)
    assert second["postings"] == 5 and second["unique_jobs"] == 2
    canon = con.execute("SELECT cluster_id, count(*) FROM posting_clusters WHERE is_canonical"
                        " GROUP BY 1 HAVING count(*) <> 1").fetchall()
    assert canon == []
    assert con.execute("SELECT cluster_id FROM posting_clusters WHERE posting_id = 'p-d'"
                       ).fetchone()[0] == "p-a"


# ---- eval CLI -----------------------------------------------------------------------------

def test_eval_dedup_cli_json(tmp_path) -> None:
    rows = [
        {"case": "repost", "label": 1, "a": post("e1"),
         "b": post("e2", url="https://board-a.example/viewjob?jk=e2", date_posted="2025-03-01")},
        {"case": "multi_location", "label": 0, "a": post("e3"),
         "b": post("e4", city="Moncton", province="NB", location_raw="Moncton, NB",
                   url="https://board-a.example/viewjob?jk=e4")},
        # A labelled duplicate the detector cannot find (no shared text): must count as fn.
        {"case": "repost", "label": 1, "a": post("e5"),
         "b": post("e6", description="<p>Completely different words about gardening.</p>",
                   url="https://board-a.example/viewjob?jk=e6")},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "dedup", "--dataset", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    by_case = {r["case"]: r for r in json.loads(result.stdout)["rows"]}
    assert by_case["ALL"]["tp"] == 1 and by_case["ALL"]["fn"] == 1 and by_case["ALL"]["tn"] == 1
    assert by_case["repost"]["recall"] == 0.5 and by_case["ALL"]["precision"] == 1.0
    assert by_case["multi_location"]["accuracy"] == 1.0


def test_eval_dedup_cli_bad_file(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": {}, "b": {}}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "dedup", "--dataset", str(path)])
    assert result.exit_code == 2
