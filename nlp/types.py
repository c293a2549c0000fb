"""What the extractor returns. Shared by the NLP components, the warehouse loader and the evals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


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
        t = token_table(doc)
        text = doc.user_data["lmi_text"] = "".join(
            [w for pair in zip(t.text, t.whitespace, strict=True) for w in pair])
    return text


def span_text(span) -> str:
    """span.text, sliced from the doc's cached text instead of rebuilt from its tokens."""
    return doc_text(span.doc)[span.start_char:span.end_char]


class TokenTable(NamedTuple):
    """Per-token attributes of a Doc as plain lists: reading them costs no Token objects."""

    text: list[str]
    lower: list[str]
    whitespace: list[str]
    is_space: list[bool]
    is_alpha: list[bool]
    is_punct: list[bool]
    like_num: list[bool]
    like_url: list[bool]
    like_email: list[bool]


def token_table(doc) -> TokenTable:
    """The doc's TokenTable, built once per Doc (one `to_array` call) and kept in user_data."""
    table = doc.user_data.get("lmi_tokens")
    if not isinstance(table, TokenTable):   # absent (or a plain list after Doc.from_bytes)
        from spacy.attrs import (
            IS_ALPHA,
            IS_PUNCT,
            IS_SPACE,
            LIKE_EMAIL,
            LIKE_NUM,
            LIKE_URL,
            LOWER,
            ORTH,
            SPACY,
        )

        cols = doc.to_array([ORTH, LOWER, SPACY, IS_SPACE, IS_ALPHA, IS_PUNCT, LIKE_NUM,
                             LIKE_URL, LIKE_EMAIL]).T.tolist() if len(doc) else [[]] * 9
        strings = doc.vocab.strings
        table = doc.user_data["lmi_tokens"] = TokenTable(
            [strings[h] for h in cols[0]], [strings[h] for h in cols[1]],
            [" " if s else "" for s in cols[2]], *([bool(v) for v in col] for col in cols[3:]))
    return table
