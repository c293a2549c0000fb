"""Job-title cleaning before NOC coding: noise, seniority, acronyms and bilingual titles."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from lmi.normalise.text import fold, squash

ACRONYMS = {
    "rn": "registered nurse",
    "rpn": "registered practical nurse",
    "lpn": "licensed practical nurse",
    "np": "nurse practitioner",
    "psw": "personal support worker",
    "hca": "health care aide",
    "csr": "customer service representative",
    "ece": "early childhood educator",
    "ea": "educational assistant",
    "cpa": "accountant",
    "ap": "accounts payable",
    "ar": "accounts receivable",
    "hr": "human resources",
    "qa": "quality assurance",
    "ba": "business analyst",
    "bi": "business intelligence",
    "ux": "user experience",
    "ui": "user interface",
    "ml": "machine learning",
    "ai": "artificial intelligence",
    "sre": "site reliability engineer",
    "swe": "software engineer",
    "sde": "software developer",
    "dba": "database administrator",
    "it": "information technology",
    "soc": "security operations",
    "ot": "occupational therapist",
    "slp": "speech language pathologist",
    "rt": "respiratory therapist",
    "mlt": "medical laboratory technologist",
    "mla": "medical laboratory assistant",
    "rmt": "registered massage therapist",
    "pca": "patient care assistant",
    "emt": "paramedic",
    "pcp": "primary care paramedic",
    "hvac": "hvac heating refrigeration air conditioning mechanic",
    "cnc": "cnc",
    "az": "az truck driver",
    "dz": "dz truck driver",
    "cdl": "truck driver",
    "ame": "aircraft maintenance engineer",
    "ehs": "environmental health and safety",
    "hse": "health and safety",
    "ohs": "occupational health and safety",
    "msw": "social worker",
    "cyw": "child and youth worker",
    "dsw": "developmental services worker",
    "fp&a": "financial planning analysis",
    "cfo": "chief financial officer",
    "ceo": "chief executive officer",
    "cto": "chief technology officer",
    "coo": "chief operating officer",
    "pm": "project manager",
    "vp": "vice president",
    "mgr": "manager",
    "asst": "assistant",
    "coord": "coordinator",
    "rep": "representative",
    "tech": "technician",
    "admin": "administrative",
    "dev": "developer",
    "eng": "engineer",
    "sr": "senior",
    "jr": "junior",
    "ft": "",
    "pt": "",
}
NOISE = re.compile(
    r"\b(full[- ]?time|part[- ]?time|temps (plein|partiel)|permanent|temporary|temporaire|contract|"
    r"contractuel|casual|seasonal|saisonnier|remote|hybrid|hybride|on[- ]?site|t[ée]l[ée]travail|"
    r"urgent(ly)?|hiring|immediate(ly)?|start|asap|now|needed|wanted|required|bilingual|bilingue|"
    r"english|french|anglais|fran[cç]ais|nights?|days?|evenings?|weekends?|overnights?|shifts?|"
    r"ft|pt|job|position|poste|opportunity|w/m|h/f|f/h|m/f|x/f|\d+(\.\d+)?|\$|/hr|per hour|"
    r"new grad(uate)?|entry[- ]level|level|i{1,3}|iv|v)\b",
    re.I,
)
SENIORITY = re.compile(
    r"\b(senior|junior|intermediate|intermédiaire|principal|staff|lead|chief|head|associate|"
    r"experienced|expérimenté|trainee|apprentice|apprenti|s[ée]nior|junior)\b",
    re.I,
)
GENDER = re.compile(r"\((?:e|ne|euse|trice|ère|ère|se)\)|\b(\w+)\(e\)", re.I)
PARENS = re.compile(r"\(([^)]*)\)|\[[^\]]*\]")
SEPARATORS = re.compile(r"\s+[-–—|:]\s+|\s*[|]\s*|,")


def _expand(text: str) -> str:
    words = re.findall(r"[\w&+#.]+|/", text)
    return " ".join(ACRONYMS.get(w.lower().strip("."), w) if w != "/" else "/" for w in words)


def title_variants(title: str) -> list[str]:
    """Cleaned forms of a posting title, most specific first (bilingual halves are separate)."""
    raw = squash(GENDER.sub(lambda m: m.group(1) or "", title))
    inner = [m.group(1) for m in PARENS.finditer(raw) if m.group(1)]
    base = squash(PARENS.sub(" ", raw))
    parts = [p for p in SEPARATORS.split(base) if p.strip()]
    head = parts[0] if parts else base
    candidates = [head]
    if " / " in head or "/" in head:
        candidates += [p for p in re.split(r"\s*/\s*", head) if len(p.strip()) > 2]
    candidates += [p for p in parts[1:] if len(p) > 3]
    candidates += [i for i in inner if _expand(i).lower() != i.lower() or len(i) > 3]
    out: list[str] = []
    for cand in candidates:
        text = NOISE.sub(" ", _expand(cand))
        text = squash(re.sub(r"[^\w&+#' ]", " ", fold(text)))
        stripped = squash(SENIORITY.sub(" ", text))
        english = translate_french(stripped)
        for form in (english, stripped, text):
            if form and form not in out:
                out.append(form)
    return out or [fold(title)]


def clean_title(title: str) -> str:
    """The main cleaned form of a title."""
    return title_variants(title)[0]


# Common French job-title words -> English (accent-folded keys), from data/fr_en_titles.csv.
with (Path(__file__).resolve().parent / "data" / "fr_en_titles.csv").open(encoding="utf-8") as _fh:
    FR_EN = {r["fr"]: r["en"] for r in csv.DictReader(_fh)}
_FR_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, FR_EN), key=len, reverse=True)) + r")\b"
)
_FR_GLUE = re.compile(r"\b(de|du|des|en|au|aux|a|la|le|les|d|l)\b")


def translate_french(text: str) -> str:
    """Replace French job words by English ones (input already folded); '' when nothing changed."""
    if not _FR_PATTERN.search(text):
        return ""
    out = _FR_PATTERN.sub(lambda m: FR_EN[m.group(1)], text)
    return squash(_FR_GLUE.sub(" ", out))
