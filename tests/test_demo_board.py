"""The synthetic job board: deterministic, diverse, Canadian, with planted emerging skills."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import date

import pytest

from lmi.demo.board import (
    PLANTED_EMERGING,
    STABLE_CONTROL,
    framework,
    generate_postings,
)
from lmi.demo.server import jobposting_jsonld

PROVINCES = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}


@pytest.fixture(scope="module")
def postings() -> list[dict]:
    return generate_postings()


def _quarter(p: dict) -> int:
    d = date.fromisoformat(p["datePosted"])
    return ((d.year - 2025) * 12 + d.month - 5) // 3


def test_same_seed_same_postings_other_seed_differs():
    assert generate_postings(200, seed=7) == generate_postings(200, seed=7)
    assert generate_postings(200, seed=7) != generate_postings(200, seed=8)


def test_generation_is_fast():
    t0 = time.perf_counter()
    generate_postings(2400, seed=3)
    assert time.perf_counter() - t0 < 2.0


def test_volume_geography_sectors_and_span(postings):
    assert len(postings) >= 2000
    assert len({p["id"] for p in postings}) == len(postings)
    provinces = Counter(p["province"] for p in postings)
    assert set(provinces) <= PROVINCES and len(provinces) >= 6
    assert len({p["naics_sector"] for p in postings}) >= 8
    assert len({p["industry"] for p in postings if p["industry"]}) >= 8
    days = sorted(date.fromisoformat(p["datePosted"]) for p in postings)
    assert days[0] <= date(2025, 5, 31) and days[-1] >= date(2026, 10, 1)
    assert (days[-1] - days[0]).days >= 540
    assert len({(d.year, d.month) for d in days}) == 18


def test_field_mix_is_realistic(postings):
    n = len(postings)
    missing_industry = sum(p["industry"] is None for p in postings) / n
    assert 0.12 < missing_industry < 0.28
    french = [p for p in postings if p["language"] == "fr"]
    assert 0.01 < len(french) / n < 0.06
    assert Counter(p["province"] for p in french).most_common(1)[0][0] == "QC"
    assert all("Responsabilités" in p["description"] for p in french)
    assert any(p["jobLocationType"] == "TELECOMMUTE" for p in postings)
    assert any(p["work_mode"] == "hybrid" for p in postings)
    units = Counter(p["baseSalary"]["value"]["unitText"] for p in postings if p["baseSalary"])
    assert units["HOUR"] > 100 and units["YEAR"] > 100
    assert any(p["postal_code"] for p in postings) and any(not p["postal_code"] for p in postings)
    assert all(re.fullmatch(r"[A-Z]\d[A-Z] \d[A-Z]\d", p["postal_code"])
               for p in postings if p["postal_code"])


def test_english_descriptions_have_the_usual_sections(postings):
    for p in postings[:300]:
        if p["language"] != "en":
            continue
        text = p["description"]
        assert "<h2>About us</h2>" in text and "<h2>Benefits</h2>" in text
        assert "equal opportunity" in text or "employment equity" in text or "diversity" in text
        assert "<li>" in text


def test_skills_are_written_by_label_and_by_paraphrase(postings):
    skills = {s["id"]: s for s in framework()["skills"]}
    literal = total = 0
    for p in postings:
        if p["language"] != "en":
            continue
        text = p["description"].lower()
        for sid in p["skill_ids"]:
            names = [skills[sid]["label"], *skills[sid]["alt_labels"]]
            total += 1
            literal += any(n.lower() in text for n in names)
    share = literal / total
    # most mentions use a label or alt label; a real share is paraphrased for the linker
    assert 0.55 < share < 0.92, share


def test_planted_skills_grow_and_the_control_stays_flat(postings):
    by_quarter: dict[int, list[dict]] = defaultdict(list)
    for p in postings:
        by_quarter[_quarter(p)].append(p)
    first, last = by_quarter[0], by_quarter[max(by_quarter)]

    def share(sid: str, group: list[dict]) -> float:
        return sum(sid in p["skill_ids"] for p in group) / len(group)

    for sid in PLANTED_EMERGING:
        assert share(sid, last) > share(sid, first) + 0.005, PLANTED_EMERGING[sid]
    planted_first = sum(share(s, first) for s in PLANTED_EMERGING)
    planted_last = sum(share(s, last) for s in PLANTED_EMERGING)
    assert planted_last > 3 * planted_first
    (control,) = STABLE_CONTROL
    assert 0.7 < share(control, last) / share(control, first) < 1.4


def test_framework_is_well_formed():
    fw = framework()
    assert fw["framework"]["id"] == "starter"
    skills = fw["skills"]
    ids = [s["id"] for s in skills]
    assert 200 <= len(skills) <= 320 and len(ids) == len(set(ids))
    parents = {s["parent"] for s in skills if s["parent"]}
    assert parents <= set(ids) and len(parents) >= 10
    assert {s["type"] for s in skills} <= {"technology", "skill", "knowledge"}
    assert {c for s in skills for c in s["collections"]} == {"digital", "green", "transversal"}
    labels = {s["id"]: s["label"] for s in skills}
    for table in (PLANTED_EMERGING, STABLE_CONTROL):
        for sid, label in table.items():
            assert labels[sid] == label


def test_jsonld_of_a_posting(postings):
    remote = next(p for p in postings if p["jobLocationType"] == "TELECOMMUTE")
    obj = jobposting_jsonld(remote, "http://127.0.0.1:1")
    assert obj["@type"] == "JobPosting" and obj["jobLocationType"] == "TELECOMMUTE"
    assert obj["url"] == "http://127.0.0.1:1" + remote["url"]
    assert obj["jobLocation"]["address"]["addressRegion"] == remote["province"]
    assert None not in obj.values()
    assert "skill_ids" not in obj and "naics_sector" not in obj
    no_industry = next(p for p in postings if p["industry"] is None)
    assert "industry" not in jobposting_jsonld(no_industry, "https://x.example")
