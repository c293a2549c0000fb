"""What the extractor returns. Shared by the NLP components, the warehouse loader and the evals."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SkillMention:
    """A framework skill asserted for a text, with the evidence span and a calibrated confidence."""

    framework_id: str
    skill_id: str
    label: str            # the skill's preferred label
    text: str             # matched text, exactly text[start:end]
    start: int            # character offsets into the analysed text
    end: int
    confidence: float     # in [0, 1]
    method: str           # exact | alt_label | semantic


@dataclass(frozen=True)
class UnlinkedPhrase:
    """A skill-like span that linked to no skill above threshold: where new skills show up."""

    text: str
    start: int
    end: int
    best_framework_id: str | None = None
    best_skill_id: str | None = None
    best_score: float | None = None


@dataclass
class Extraction:
    """Everything the extractor found in one text."""

    skills: list[SkillMention] = field(default_factory=list)
    unlinked: list[UnlinkedPhrase] = field(default_factory=list)


def doc_text(doc) -> str:
    """doc.text, built once per Doc: spaCy rebuilds it from every token on each access."""
    text = doc.user_data.get("lmi_text")
    if text is None:
        text = doc.user_data["lmi_text"] = doc.text
    return text
