"""Small text helpers shared by the normalisers: accent folding and lookup keys."""

from __future__ import annotations

import re
import unicodedata

_ABBREV = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase, strip accents and normalise typographic apostrophes and dashes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-").lower()


def place_key(name: str) -> str:
    """Lookup key for a place name: 'St. John's' -> 'saint johns', 'Lévis' -> 'levis'."""
    text = fold(name).replace("'", "").replace(".", " ")
    text = _NON_WORD.sub(" ", text.replace("-", " "))
    words = [_ABBREV.get(w, w) for w in text.split()]
    return " ".join(words)


def squash(text: str) -> str:
    """Collapse runs of whitespace and trim."""
    return _SPACES.sub(" ", text).strip()


def name_variants(name: str) -> list[str]:
    """Lookup keys for an official name: bilingual 'A / B' gives both, '(Part)' is dropped."""
    base = name.replace("(Part)", "").replace("(part)", "")
    parts = [p for p in base.split(" / ") if p.strip()] or [base]
    keys = [place_key(p) for p in parts]
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]
