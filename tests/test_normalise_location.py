"""Location parsing: hard cases on the starter tables and on the imported official geography."""

from pathlib import Path

import duckdb
import pytest

from lmi.normalise.location import OUTSIDE, parse_location
from lmi.normalise.reference import import_geography
from lmi.warehouse.db import apply_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.parametrize(
    "raw, province, er, mode",
    [
        ("Hybrid - Toronto, ON", "ON", "3530", "hybrid"),
        ("Saint-Jérôme, QC", "QC", "2455", None),
        ("St-Jerome, Quebec", "QC", "2455", None),
        ("St. John's", "NL", "1010", None),
        ("Mtl", "QC", "2440", None),
        ("GTA", "ON", "3530", None),
        ("YYC", "AB", "4830", None),
        ("London, ON", "ON", "3560", None),
        ("Richmond, BC", "BC", "5920", None),
        ("Richmond Hill, ON", "ON", "3530", None),
        ("Burlington, ON", "ON", "3550", None),  # Halton is split between two ERs
        ("Oakville", "ON", "3530", None),
        ("Quebec City", "QC", "2420", None),
        ("TROIS-RIVIÈRES (QUÉBEC)", "QC", "2470", None),
        ("Télétravail - Montréal", "QC", "2440", "remote"),
        ("Moncton, N.-B.", "NB", "1320", None),
        ("Calgary AB T2P 1J9", "AB", "4830", None),
        ("Charlottetown, PEI", "PE", "1110", None),
    ],
)
def test_canadian_places(raw, province, er, mode):
    loc = parse_location(raw)
    assert (loc.province, loc.economic_region) == (province, er)
    assert loc.work_mode == mode
    assert not loc.outside_canada


@pytest.mark.parametrize(
    "raw",
    [
        "London, UK",
        "Seattle, WA",
        "San Francisco, CA",
        "Paris, France",
        "Remote - US",
        "Bangalore, India",
    ],
)
def test_outside_canada(raw):
    loc = parse_location(raw)
    assert loc.province == OUTSIDE and loc.outside_canada


@pytest.mark.parametrize(
    "raw",
    [
        "London",
        "Remote (Canada)",
        "Toronto or Vancouver",
        "Multiple locations",
        "Lloydminster",
        "",
        None,
    ],
)
def test_unknown_rather_than_wrong(raw):
    loc = parse_location(raw)
    assert loc.province is None and loc.economic_region is None and not loc.outside_canada


def test_remote_canada_keeps_mode():
    assert parse_location("Remote (Canada)").work_mode == "remote"


def test_province_only_and_single_er_territory():
    assert parse_location("Ontario").province == "ON"
    assert parse_location("Ontario").economic_region is None
    assert parse_location("Yukon").economic_region == "6010"


def test_postal_code_alone_and_structured_fields():
    assert parse_location("M5V 2T6").economic_region == "3530"
    loc = parse_location(
        None, locality="Gatineau", region="QC", country="CA", postal_code="J8X 3X7"
    )
    assert (loc.province, loc.economic_region, loc.cma) == ("QC", "2460", "Ottawa - Gatineau")
    assert parse_location(None, locality="Portland", region="OR", country="US").outside_canada


def test_several_places_keep_what_they_share():
    loc = parse_location("Montréal / Laval")
    assert loc.province == "QC" and loc.economic_region is None and loc.cma == "Montréal"


def test_full_imported_geography_is_used():
    con = duckdb.connect()
    apply_schema(con)
    n = import_geography(con, SHARED / "canada-geography")
    assert con.execute("SELECT count(*) FROM ref_places").fetchone()[0] >= 5161
    assert n > 5161
    # a small CSD that is not in the starter table
    small = parse_location("Sambaa K’e, NT", con=con)
    assert small.province == "NT" and small.economic_region == "6110"
    assert parse_location("Kingston, ON", con=con).economic_region == "3515"
    assert parse_location("Hamilton, ON", con=con).economic_region == "3550"
    assert parse_location("Saint-Lin--Laurentides, QC", con=con).economic_region == "2450"
