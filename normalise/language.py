"""English/French detection from stopword ratios: no model, no download."""

from __future__ import annotations

import re

from lmi.normalise.text import fold

EN = set(
    "the and of to in for with you your our we will are is be on as an at this that or by "
    "from have has experience team work skills job our who what about all can must "
    "including within years ability strong knowledge".split()
)
FR = set(
    "le la les de des du et en un une pour avec vous votre nos nous sont est au aux dans par "
    "sur ou qui que ce cette son ses leur leurs plus tout tous poste equipe travail "
    "experience competences emploi etre avoir afin ainsi selon lors aupres".split()
)
WORD = re.compile(r"[a-z]+")


def detect_language(text: str | None, *, min_hits: int = 3) -> str | None:
    """'en' or 'fr' by which stopword list covers more tokens; None when too little evidence."""
    if not text:
        return None
    words = WORD.findall(fold(text[:5000]))
    en = sum(w in EN for w in words)
    fr = sum(w in FR for w in words)
    if max(en, fr) < min_hits:
        return None
    if en == fr:
        return None
    return "en" if en > fr else "fr"
