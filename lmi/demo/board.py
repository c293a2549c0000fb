"""Deterministic synthetic Canadian job postings for the demo board.

`generate_postings()` returns plain dicts (one per posting) that `lmi.demo.server` publishes as
schema.org JobPosting pages. Each dict also carries ground truth the crawler never sees
(`skill_ids`, `naics_sector`, `noc_code`, `work_mode`, `role`), so evaluations can check the
pipeline. A few skills are planted to grow steadily over the 18 months: `PLANTED_EMERGING`.
"""

from __future__ import annotations

import html
import json
import random
from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

from lmi.config import DEMO_DIR
from lmi.demo import board_data as bd

FIRST_DAY = date(2025, 5, 1)
LAST_DAY = date(2026, 10, 31)
MONTHS = 18

# Skills whose share of postings rises from ~1% to ~15-35% of the eligible segment.
PLANTED_EMERGING: dict[str, str] = {
    "ST0056": "Generative AI",
    "ST0057": "Prompt engineering",
    "ST0062": "Zero trust architecture",
    "ST0098": "Heat pump installation",
    "ST0099": "EV charger installation",
    "ST0252": "Carbon accounting",
}
# A skill drawn with the same probability in every month: its share must stay flat.
STABLE_CONTROL: dict[str, str] = {"ST0267": "Customer service"}


class Planted(NamedTuple):
    label: str
    sectors: frozenset[str]
    provinces: frozenset[str] | None   # strongest here; elsewhere x0.3
    roles: frozenset[str] | None       # strongest for these roles; others x0.3
    start: float                        # probability in month 0 for the strongest segment
    end: float                          # probability in month 17


PLANTED_RULES: list[Planted] = [
    Planted("Generative AI", frozenset({"54", "51", "52", "61"}), None, None, 0.01, 0.24),
    Planted("Prompt engineering", frozenset({"54", "51", "52", "61"}), None, None, 0.005, 0.3),
    Planted("Zero trust architecture", frozenset({"54", "51", "52", "91"}), None,
            frozenset({"Software Engineer", "Cybersecurity Analyst", "Cloud Engineer",
                       "IT Security Officer", "Network Technician", "IT Support Specialist"}),
            0.02, 0.45),
    Planted("Heat pump installation", frozenset({"23", "54"}),
            frozenset({"BC", "QC", "ON", "NS", "NB", "PE", "NL"}),
            frozenset({"HVAC Technician", "Plumber", "Gas Fitter", "Electrician",
                       "Construction Project Manager", "Site Superintendent",
                       "Mechanical Engineer"}), 0.02, 0.6),
    Planted("EV charger installation", frozenset({"23", "48-49", "91"}),
            frozenset({"BC", "QC", "ON"}),
            frozenset({"Electrician", "Construction Project Manager", "Site Superintendent",
                       "Construction Estimator", "Fleet Manager", "Urban Planner"}), 0.0, 1.0),
    Planted("Carbon accounting", frozenset({"52", "54"}), None,
            frozenset({"Accountant", "Financial Analyst", "Management Consultant",
                       "Risk Analyst", "Compliance Analyst", "Civil Engineer"}), 0.01, 0.8),
]


@cache
def framework() -> dict[str, Any]:
    """The starter framework (lmi/demo/starter_framework.json) as a dict."""
    return json.loads((DEMO_DIR / "starter_framework.json").read_text(encoding="utf-8"))


@cache
def _skills_by_label() -> dict[str, dict[str, Any]]:
    return {s["label"]: s for s in framework()["skills"]}


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _month_index(day: date) -> int:
    return (day.year - FIRST_DAY.year) * 12 + day.month - FIRST_DAY.month


def _postal_code(rng: random.Random, fsa: str) -> str:
    letters = "ABCEGHJKLMNPRSTVWXYZ"
    return f"{fsa} {rng.randint(0, 9)}{rng.choice(letters)}{rng.randint(0, 9)}"


class _Employer(NamedTuple):
    name: str
    sector: str
    city: bd.City
    blurb: str
    weight: float


def _employers(rng: random.Random) -> dict[str, list[_Employer]]:
    """A fixed pool of fictional employers per sector, a few of them posting a lot."""
    pools: dict[str, list[_Employer]] = {}
    used: set[str] = set()
    city_weights = [c.weight ** 1.5 for c in bd.CITIES]
    for sector in bd.SECTORS:
        pool = []
        while len(pool) < 14:
            name = f"{rng.choice(bd.EMPLOYER_PREFIXES)} {rng.choice(sector.employer_words)}"
            if name in used:
                continue
            used.add(name)
            city = _weighted(rng, bd.CITIES, city_weights)
            pool.append(_Employer(name, sector.code, city, rng.choice(sector.blurbs),
                                  1.0 / (len(pool) + 1) ** 0.8))
        pools[sector.code] = pool
    return pools


def _lower_first(label: str) -> str:
    """'Carbon accounting' -> 'carbon accounting'; keep 'Python', 'Canadian Electrical Code'."""
    if label[:1].isupper() and not any(ch.isupper() for ch in label[1:]):
        return label[0].lower() + label[1:]
    return label


def _mention(rng: random.Random, label: str, *, as_duty: bool) -> tuple[str, bool]:
    """One bullet that names a skill by label, alt label or paraphrase. Returns (text, is_duty)."""
    skill = _skills_by_label()[label]
    paraphrases = bd.PARAPHRASES.get(label, [])
    roll = rng.random()
    if paraphrases and (as_duty or roll < 0.28):
        phrase = rng.choice(paraphrases)
        if as_duty:
            return phrase[0].upper() + phrase[1:], True
        return rng.choice(bd.GERUND_TEMPLATES).format(g=phrase), False
    name = label
    if skill["alt_labels"] and roll < 0.55:
        name = rng.choice(skill["alt_labels"])
    kind = "transversal" if skill["parent"] == "ST9015" else skill["type"]
    template = rng.choice(bd.NOUN_TEMPLATES[kind])
    name = name if skill["type"] == "technology" else _lower_first(name)
    text = template.format(x=name, X=name[0].upper() + name[1:])
    return text, False


def _salary(rng: random.Random, role: bd.Role, seniority: str) -> dict[str, Any] | None:
    if rng.random() > 0.72:
        return None
    unit, low, high = role.pay
    factor = bd.SENIORITY_PAY[seniority] * rng.uniform(0.92, 1.08)
    step = 1000 if unit == "YEAR" else 0.25
    lo, hi = (round(v * factor / step) * step for v in (low, high))
    if rng.random() < 0.7:
        value = {"@type": "QuantitativeValue", "minValue": lo, "maxValue": hi, "unitText": unit}
    else:
        mid = round((lo + hi) / 2 / step) * step
        value = {"@type": "QuantitativeValue", "value": mid, "unitText": unit}
    return {"@type": "MonetaryAmount", "currency": "CAD", "value": value}


def _employment_type(rng: random.Random, role: bd.Role) -> str | list[str]:
    hourly = role.pay[0] == "HOUR"
    kinds = ["FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN"]
    weights = [0.6, 0.25, 0.05, 0.09, 0.01] if hourly else [0.84, 0.03, 0.1, 0.02, 0.01]
    if hourly and rng.random() < 0.05:
        return ["FULL_TIME", "PART_TIME"]
    return _weighted(rng, kinds, weights)


def _planted_skills(rng: random.Random, sector: str, province: str, role: str,
                    month: int) -> list[str]:
    out = []
    for rule in PLANTED_RULES:
        if sector not in rule.sectors:
            continue
        # convex ramp: slow at first, then faster, as a new skill takes off
        p = rule.start + (rule.end - rule.start) * (month / (MONTHS - 1)) ** 2
        if rule.provinces is not None and province not in rule.provinces:
            p *= 0.3
        if rule.roles is not None and role not in rule.roles:
            p *= 0.3
        if rng.random() < p:
            out.append(rule.label)
    return out


def _pick_skills(rng: random.Random, role: bd.Role) -> list[str]:
    k = rng.randint(min(3, len(role.skills)), min(6, len(role.skills)))
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(role.skills))]
    chosen: list[str] = []
    while len(chosen) < k:
        label = _weighted(rng, role.skills, weights)
        if label not in chosen:
            chosen.append(label)
    transversal = rng.sample(bd.TRANSVERSAL, rng.randint(2, 3))
    return chosen + [t for t in transversal if t not in chosen]


def _ul(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i, quote=False)}</li>" for i in items) + "</ul>"


def _description_en(rng: random.Random, *, employer: _Employer, sector: bd.Sector,
                     title: str, city: bd.City, seniority: str, work_mode: str,
                     skills: list[str]) -> str:
    duties = rng.sample(sector.duties, 3)
    reqs = [rng.choice(sector.education)]
    years = rng.randint(*bd.SENIORITY_YEARS[seniority])
    if years:
        reqs.append(f"{years}+ years of related experience")
    for label in skills:
        text, is_duty = _mention(rng, label, as_duty=rng.random() < 0.2)
        (duties if is_duty else reqs).append(text)
    rng.shuffle(duties)
    mode = {"hybrid": f"This is a hybrid role: {rng.choice([2, 3])} days a week in our "
                      f"{city.name} office.",
            "remote": "This is a fully remote role open to candidates anywhere in Canada.",
            "onsite": f"This position is based on site in {city.name}, {city.province}."}[work_mode]
    about = (f"{employer.name} is {employer.blurb} " + rng.choice([
        "We are growing and looking for people who care about doing great work.",
        "Our people are at the heart of everything we do.",
        "Join a team that values safety, quality and respect.",
    ]))
    head_req = rng.choice(["Requirements", "Qualifications", "What you bring"])
    head_duty = rng.choice(["Responsibilities", "What you'll do", "Key responsibilities"])
    benefits = rng.sample(bd.BENEFITS, rng.randint(3, 5))
    eeo = rng.choice(bd.EEO).format(employer=employer.name)
    return "".join([
        f"<h2>About us</h2><p>{html.escape(about, quote=False)}</p>",
        f"<p>We are hiring a <strong>{html.escape(title)}</strong>. {html.escape(mode)}</p>",
        f"<h2>{head_duty}</h2>", _ul(duties),
        f"<h2>{head_req}</h2>", _ul(reqs),
        "<h2>Benefits</h2>", _ul(benefits),
        f"<p><em>{html.escape(eeo, quote=False)}</em></p>",
    ])


def _description_fr(rng: random.Random, *, employer: _Employer, title: str,
                    city: bd.City, skills: list[str]) -> str:
    reqs = ["Diplôme d'études collégiales ou expérience équivalente"]
    for label in skills:
        name = bd.FR_LABELS.get(label) or _lower_first(label)
        reqs.append(rng.choice(bd.FR_TEMPLATES).format(x=name))
    return "".join([
        f"<h2>À propos de nous</h2><p>{html.escape(employer.name)} est une entreprise en "
        f"croissance située à {html.escape(city.name)}. Nous recrutons un(e) "
        f"<strong>{html.escape(title)}</strong>.</p>",
        "<h2>Responsabilités</h2>", _ul(rng.sample(bd.FR_DUTIES, 3)),
        "<h2>Exigences</h2>", _ul(reqs),
        "<h2>Avantages</h2>", _ul(rng.sample(bd.FR_BENEFITS, 3)),
        f"<p><em>{html.escape(bd.EEO_FR.format(employer=employer.name), quote=False)}</em></p>",
    ])


def _one_posting(rng: random.Random, index: int,
                 employers: dict[str, list[_Employer]]) -> dict[str, Any]:
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    sector = _weighted(rng, bd.SECTORS, [s.weight for s in bd.SECTORS])
    role = _weighted(rng, sector.roles, [r.weight for r in sector.roles])
    pool = employers[sector.code]
    employer = _weighted(rng, pool, [e.weight for e in pool])
    city = employer.city if rng.random() < 0.5 else _weighted(
        rng, bd.CITIES, [c.weight for c in bd.CITIES])
    french_rate = 0.13 if city.province == "QC" else 0.05 if city.name in {
        "Ottawa", "Moncton", "Fredericton"} else 0.0
    language = "fr" if rng.random() < french_rate else "en"
    ladder = bd.SENIORITY_OFFICE if role.pay[0] == "YEAR" else bd.SENIORITY_HOURLY
    seniority = _weighted(rng, [s for s, _ in ladder], [w for _, w in ladder])
    work_mode = "onsite"
    if role.office:
        work_mode = _weighted(rng, ["onsite", "hybrid", "remote"], [0.66, 0.22, 0.12])
    skills = _pick_skills(rng, role)
    skills += [s for s in _planted_skills(rng, sector.code, city.province, role.title,
                                          _month_index(day)) if s not in skills]
    rng.shuffle(skills)
    if language == "fr":
        title = f"{role.title_fr} {bd.SENIORITY_FR.get(seniority, '')}".strip()
        description = _description_fr(rng, employer=employer, title=title, city=city,
                                      skills=skills)
    else:
        title = f"{seniority} {role.title}".strip()
        if work_mode != "onsite" and rng.random() < 0.5:
            title += " (Hybrid)" if work_mode == "hybrid" else " - Remote"
        description = _description_en(rng, employer=employer, sector=sector, title=title,
                                      city=city, seniority=seniority, work_mode=work_mode,
                                      skills=skills)
    posting_id = f"J{index:06d}"
    by_label = _skills_by_label()
    return {
        "id": posting_id,
        "url": f"/jobs/{posting_id}",
        "title": title,
        "employer": employer.name,
        "city": city.name,
        "province": city.province,
        "postal_code": _postal_code(rng, city.fsa) if rng.random() < 0.6 else None,
        "country": "CA",
        "industry": sector.title if rng.random() < 0.8 else None,
        "occupationalCategory": role.noc if role.noc and rng.random() < 0.6 else None,
        "employmentType": _employment_type(rng, role),
        "baseSalary": _salary(rng, role, seniority),
        "datePosted": day.isoformat(),
        "validThrough": f"{day + timedelta(days=rng.choice([30, 45, 60]))}T23:59:59",
        "identifier": {"@type": "PropertyValue", "name": employer.name,
                       "value": f"REQ-{rng.randint(10000, 99999)}"},
        "jobLocationType": "TELECOMMUTE" if work_mode == "remote" else None,
        "description": description,
        "language": language,
        # ground truth, never published
        "work_mode": work_mode,
        "naics_sector": sector.code,
        "noc_code": role.noc,
        "role": role.title,
        "seniority": seniority,
        "skill_ids": [by_label[s]["id"] for s in skills],
    }


def generate_postings(n: int = 2400, seed: int = 20261101) -> list[dict[str, Any]]:
    """`n` synthetic postings, identical for the same seed, sorted by datePosted then id."""
    rng = random.Random(seed)
    employers = _employers(rng)
    postings = [_one_posting(rng, i + 1, employers) for i in range(n)]
    postings.sort(key=lambda p: (p["datePosted"], p["id"]))
    return postings
