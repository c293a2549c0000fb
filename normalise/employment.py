"""Employment type normalisation to a small vocabulary."""

from __future__ import annotations

import re

from lmi.normalise.text import fold

TYPES = [
    ("internship", r"intern|stage|stagiaire|co-?op|coop"),
    (
        "temporary",
        r"\btemp\b|temporary|temporaire|contract|contrat|contractor|term\b|seasonal|saisonnier|casual|occasionnel|"
        r"freelance|fixed[- ]term|duree determinee",
    ),
    ("part_time", r"part[-_ ]?time|temps partiel|partiel"),
    ("full_time", r"full[-_ ]?time|temps plein|permanent|plein|regular"),
]


def normalise_employment_type(raw: str | list | None) -> str | None:
    """'FULL_TIME', 'Temps plein', ['CONTRACTOR'] -> full_time|part_time|temporary|internship."""
    if raw is None:
        return None
    text = fold(" ".join(raw) if isinstance(raw, list) else str(raw))
    for name, pattern in TYPES:
        if re.search(pattern, text):
            return name
    return None
