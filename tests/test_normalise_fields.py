"""Salary, language, employment type, HTML, sector and the whole-posting normaliser."""

import json
from pathlib import Path

import duckdb
import pytest

from lmi.normalise.employment import normalise_employment_type
from lmi.normalise.html import html_to_text
from lmi.normalise.language import detect_language
from lmi.normalise.posting import normalise_posting
from lmi.normalise.reference import import_noc, import_oasis
from lmi.normalise.salary import HOURS_PER_YEAR, parse_salary, parse_salary_text
from lmi.normalise.sector import classify_sector, employer_parent, normalise_employer
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$25–30/hr", (25 * HOURS_PER_YEAR, 30 * HOURS_PER_YEAR)),
        ("45K", (45_000, 45_000)),
        ("$45K - $55K", (45_000, 55_000)),
        ("80-90K", (80_000, 90_000)),
        ("60 000 $ à 70 000 $ par année", (60_000, 70_000)),
        ("$4,500 per month", (54_000, 54_000)),
        ("$1,200/week", (62_400, 62_400)),
        ("18,50 $ de l'heure", (18.5 * HOURS_PER_YEAR, 18.5 * HOURS_PER_YEAR)),
        ("Competitive", (None, None)),
    ],
)
def test_salary_text_shapes(text, expected):
    assert parse_salary_text(text) == expected


def test_salary_json_shapes():
    assert parse_salary({"currency": "CAD", "min": 25, "max": 30, "unit": "HOUR"}) == (
        52_000,
        62_400,
    )
    schema_org = {
        "currency": "CAD",
        "value": {"minValue": 50000, "maxValue": 60000, "unitText": "YEAR"},
    }
    assert parse_salary(json.dumps(schema_org)) == (50_000, 60_000)
    assert parse_salary({"currency": "USD", "min": 100_000}) == (None, None)
    assert parse_salary({"currency": "CAD", "value": 3, "unit": "YEAR"}) == (None, None)


def test_french_and_english_detection():
    fr = (
        "Nous recherchons un développeur pour notre équipe à Montréal. Vous serez "
        "responsable des tests et de la qualité du code."
    )
    en = "We are looking for a developer to join our team in Toronto. You will own testing."
    assert detect_language(fr) == "fr"
    assert detect_language(en) == "en"
    assert detect_language("Python SQL") is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("FULL_TIME", "full_time"),
        ("Temps plein", "full_time"),
        (["PART_TIME"], "part_time"),
        ("Contract", "temporary"),
        ("Stage", "internship"),
        ("Co-op student", "internship"),
        (None, None),
        ("OTHER", None),
    ],
)
def test_employment_types(raw, expected):
    assert normalise_employment_type(raw) == expected


def test_html_keeps_paragraphs_and_bullets():
    text = html_to_text(
        "<p>Hello &amp; welcome</p><ul><li>Python</li><li>SQL</li></ul>"
        "<script>x()</script><p>Apply<br>now</p>"
    )
    assert text == "Hello & welcome\n\n• Python\n• SQL\n\nApply\nnow"


def test_employer_names_and_parents():
    assert normalise_employer("Loblaw Companies Ltd.") == normalise_employer("LOBLAW COMPANIES")
    assert normalise_employer("Saputo Inc.") == "saputo"
    assert normalise_employer("Hydro-Québec") == "hydro quebec"
    assert employer_parent("Shoppers Drug Mart Inc.")[0] == "Loblaw Companies"


def test_sector_evidence_order():
    industry = classify_sector(industry="Hospital & Health Care", employer="Shopify Inc.")
    assert (industry.code, industry.source) == ("62", "industry")
    employer = classify_sector(employer="Shoppers Drug Mart Inc.", title="Cashier")
    assert (employer.code, employer.subsector, employer.source) == ("44-45", "456", "employer")
    text = classify_sector(title="Line Cook", description="Our restaurant kitchen is hiring.")
    assert (text.code, text.source) == ("72", "classifier")
    assert classify_sector(title="Analyst").code is None


def test_normalise_posting_row(monkeypatch):
    monkeypatch.setenv("LMI_NOC_EMBEDDINGS", "0")
    con = duckdb.connect()
    apply_schema(con)
    import_noc(con, SHARED / "canada-noc-oasis")
    import_oasis(con, SHARED / "canada-noc-oasis")
    raw = {
        "title": "Registered Nurse (RN) - ICU",
        "employer": "Fraser Health",
        "description_html": "<p>Nous cherchons une infirmière pour notre équipe.</p>"
        "<ul><li>Soins aux patients</li></ul>",
        "location_raw": "Hybrid - Surrey, BC",
        "address_locality": None,
        "address_region": None,
        "address_country": "CA",
        "postal_code": None,
        "remote": None,
        "industry": None,
        "occupational_category": None,
        "employment_type": "FULL_TIME",
        "salary_json": json.dumps({"currency": "CAD", "min": 40, "max": 50, "unit": "HOUR"}),
    }
    out = normalise_posting(raw, con=con)
    assert (out["province"], out["economic_region"], out["work_mode"]) == ("BC", "5920", "hybrid")
    assert out["naics_sector"] == "62" and out["sector_source"] == "employer"
    assert out["noc_code"] == "31301"
    assert out["language"] == "fr" and "• Soins aux patients" in out["description"]
    assert out["salary_annual_min"] == 40 * HOURS_PER_YEAR and out["employment_type"] == "full_time"
    given = normalise_posting(dict(raw, occupational_category="21232 Software developers"), con=con)
    assert (given["noc_code"], given["noc_score"]) == ("21232", 1.0)
