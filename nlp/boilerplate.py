"""Tell a posting's requirements apart from its boilerplate (about us, EEO, benefits, how to apply).

Rules, in order: (1) a heading line ("Benefits:", "About us", "How to apply") sets the kind of
every block until the next heading; a requirements-type heading ("Qualifications", "What you'll
do") resets it to content. (2) Outside boilerplate sections, each sentence is checked against
keyword patterns of each boilerplate kind; a sentence with requirement cues ("experience with",
"ability to", "degree in") is kept as content. A line with requirement cues and no boilerplate
keyword ends a boilerplate section (postings often have headings the rules do not know). Spans
cover whole lines / sentences.

`boilerplate_spans(text)` returns (start, end, kind) character spans; the spaCy component
"lmi_boilerplate" stores them in `doc.spans["boilerplate"]` (span label = kind) so a linker can
drop candidate phrases inside them (see `inside_boilerplate`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

ABOUT = "about_company"
EEO = "equal_opportunity"
BENEFITS = "benefits"
APPLY = "how_to_apply"
LEGAL = "legal"
CONTENT = "content"
KINDS = (ABOUT, EEO, BENEFITS, APPLY, LEGAL)
SPAN_KEY = "boilerplate"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


HEADINGS: dict[str, re.Pattern[str]] = {
    ABOUT: _rx(r"about (us|the company|the organi[sz]ation|the employer|<ORGANIZATION>)",
               r"who we are", r"company description",
               r"our (company|story|mission|values|culture|team)", r"company (overview|profile)",
               r"why (join|work)", r"life at"),
    EEO: _rx(r"equal (employment )?opportunit", r"diversity", r"inclusion", r"employment equity",
             r"accommodation", r"accessibility"),
    BENEFITS: _rx(r"benefits", r"perks", r"what we offer", r"we offer", r"compensation",
                  r"salary", r"why you.ll love", r"what.s in it for you", r"rewards"),
    APPLY: _rx(r"how to apply", r"to apply", r"application (process|instructions|deadline)",
               r"apply (now|today)", r"next steps", r"closing date"),
    LEGAL: _rx(r"privacy", r"disclaimer", r"legal", r"recruitment agenc"),
    CONTENT: _rx(r"requirements", r"qualifications", r"responsibilities", r"duties",
                 r"what you.ll (do|bring|need)", r"what you bring", r"what we.re looking for",
                 r"skills", r"experience", r"must.have", r"nice to have", r"assets",
                 r"(the|your) role", r"about (the|this) (role|job|position|opportunity|team)",
                 r"about you", r"job (description|summary)",
                 r"your profile", r"education", r"key tasks", r"the opportunity",
                 r"who you are", r"tasks", r"preferred"),
}

SENTENCE_RULES: dict[str, re.Pattern[str]] = {
    EEO: _rx(r"equal (employment )?opportunit", r"(value|embrace|celebrate|committed to) diversity",
             r"diversity (and|&) inclusion", r"inclusive (workplace|environment|employer)",
             r"accommodations? (is|are) available", r"persons? with disabilities",
             r"race, colou?r", r"sexual orientation", r"gender (identity|expression)",
             r"protected (veteran|characteristic|status|group)", r"employment equity",
             r"visible minorit", r"indigenous (peoples|persons)", r"\bAODA\b",
             r"without regard to", r"all qualified (applicants|candidates)"),
    BENEFITS: _rx(r"\bbenefits?\b", r"\bperks\b", r"\bwe offer\b", r"\bdental\b",
                  r"\bpension\b", r"\bRRSP\b", r"paid (time off|vacation|holidays)",
                  r"\bvacation\b", r"competitive (salary|pay|compensation|wages?)",
                  r"\bsalary\b", r"\$\s?\d", r"health (insurance|benefits|spending)",
                  r"wellness", r"employee assistance", r"tuition (reimbursement|assistance)",
                  r"parental leave", r"stock options", r"\bbonus\b", r"per hour", r"hybrid work",
                  r"flexible (work|working|hours|schedule)", r"work from home",
                  r"(free|subsidi[sz]ed) (lunch|parking|snacks|gym)", r"\bgym\b"),
    APPLY: _rx(r"(how|please|to) apply (for (this|the) (position|role|job)|online|now|today|via|"
               r"through|by|at|here)", r"\bapply (now|today|online|here)\b", r"to apply,",
               r"submit (your |a )?(resume|résumé|cv|application)",
               r"send (your |a )?(resume|résumé|cv|application)", r"cover letter",
               r"(those|candidates|applicants) selected (for an interview )?will be contacted",
               r"we thank all (applicants|candidates)", r"closing date", r"application deadline",
               r"reference (number|code)", r"interested (candidates|applicants)",
               r"click (the )?apply"),
    ABOUT: _rx(r"\b(is|are) an? (leading|global|growing|fast.growing|award.winning|innovative|"
               r"national|canadian|international|dynamic|well.established|established)\b",
               r"\bwe are an? (leading|global|growing|team|company|fast|award|dynamic|national)",
               r"founded in \d{4}", r"headquartered in", r"our (mission|vision|values|clients|"
               r"customers|story|culture) (is|are|include)", r"\bfor over \d+ years\b",
               r"offices (in|across)", r"join (our|a) (growing|dynamic|talented|great) team"),
    LEGAL: _rx(r"personal information", r"privacy (policy|notice)", r"recruitment agenc",
               r"unsolicited (resumes|applications)", r"background check",
               r"legally (eligible|entitled) to work", r"criminal record"),
}

REQUIREMENT_CUES = _rx(r"experience (with|in|using)", r"\bability to\b", r"knowledge of",
                       r"proficien", r"degree (in|or)", r"\bmust (have|be able)\b",
                       r"you will (be responsible|develop|design|manage|build|lead|work)",
                       r"responsible for", r"familiarity with", r"skills? in\b",
                       r"\byears of\b", r"certification", r"understanding of")
BULLET = re.compile(r"^[\s\-*•·●▪◦>#]+")
HEADING_MAX_WORDS = 8


@dataclass(frozen=True)
class Segment:
    """A stretch of the text with its kind (`content` or one of KINDS)."""

    start: int
    end: int
    kind: str

    @property
    def is_boilerplate(self) -> bool:
        return self.kind != CONTENT


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line)
    return spans


@lru_cache(maxsize=50_000)      # postings repeat headings and sentences: the rules run once each
def heading_kind(line: str) -> str | None:
    """The section kind a heading line announces, or None if the line is not a heading."""
    stripped = BULLET.sub("", line).strip()
    head, sep, rest = stripped.partition(":")
    candidate = head.strip() if sep else stripped.rstrip(".!")
    words = candidate.split()
    if not words or len(words) > HEADING_MAX_WORDS or (not sep and candidate.endswith(",")):
        return None
    is_heading_shape = bool(sep) or candidate.isupper() or candidate.istitle() or len(words) <= 4
    if not is_heading_shape or (not sep and stripped.endswith(".") and len(words) > 3):
        return None
    if HEADINGS[CONTENT].match(candidate):
        return CONTENT
    for kind, pattern in HEADINGS.items():
        if pattern.match(candidate) or (kind != CONTENT and pattern.search(candidate)
                                       and len(words) <= 5):
            return kind
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, end))
    return [(s, e) for s, e in spans if e > s]


@lru_cache(maxsize=100_000)
def sentence_kind(sentence: str) -> str:
    """Boilerplate kind of a sentence outside a boilerplate section, by keyword rules."""
    hits = [kind for kind, pattern in SENTENCE_RULES.items() if pattern.search(sentence)]
    if not hits:
        return CONTENT
    if REQUIREMENT_CUES.search(sentence) and not {EEO, APPLY} & set(hits):
        return CONTENT
    return hits[0]


def classify_segments(text: str) -> list[Segment]:
    """Every non-blank line / sentence of `text` with its kind, in order."""
    segments: list[Segment] = []
    section = CONTENT
    for start, end in _lines(text):
        line = text[start:end]
        kind = heading_kind(line)
        if kind is not None:
            section = kind
            segments.append(Segment(start, end, kind))
            continue
        if section != CONTENT:
            if not (REQUIREMENT_CUES.search(line) and sentence_kind(line) == CONTENT):
                segments.append(Segment(start, end, section))
                continue
            section = CONTENT   # requirements after an unrecognised heading end the section
        for s, e in _sentences(text, start, end):
            segments.append(Segment(s, e, sentence_kind(text[s:e])))
    return segments


def boilerplate_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the boilerplate in `text`; adjacent segments of a kind are merged."""
    merged: list[tuple[int, int, str]] = []
    for seg in classify_segments(text):
        if not seg.is_boilerplate:
            continue
        if merged and merged[-1][2] == seg.kind and not text[merged[-1][1]:seg.start].strip():
            merged[-1] = (merged[-1][0], seg.end, seg.kind)
        else:
            merged.append((seg.start, seg.end, seg.kind))
    return merged


def inside_boilerplate(spans: Sequence[tuple[int, int, str]], start: int, end: int) -> bool:
    """True if the character range [start, end) overlaps a boilerplate span (spans sorted)."""
    i = bisect.bisect_right([s for s, _, _ in spans], start) - 1
    for j in (i, i + 1):
        if 0 <= j < len(spans) and spans[j][0] < end and start < spans[j][1]:
            return True
    return False


def boilerplate_tokens(doc) -> frozenset[int]:
    """Token indices of `doc` inside its doc.spans['boilerplate'] (empty if never marked).

    A span overlaps boilerplate exactly when one of its tokens is in this set (the spans are
    token-aligned), so later steps can skip such text before doing any work on it."""
    return frozenset(i for sp in doc.spans.get(SPAN_KEY, []) for i in range(sp.start, sp.end))


try:  # the spaCy component; spaCy is a hard dependency but keep the rules importable alone
    from spacy.language import Language
    from spacy.tokens import Doc

    from lmi.nlp.types import doc_text

    @Language.component("lmi_boilerplate")
    def lmi_boilerplate(doc: Doc) -> Doc:
        """Mark boilerplate in doc.spans['boilerplate'] (labels: about_company, benefits, ...)."""
        spans = []
        for start, end, kind in boilerplate_spans(doc_text(doc)):
            span = doc.char_span(start, end, label=kind, alignment_mode="expand")
            if span is not None and len(span):
                spans.append(span)
        doc.spans[SPAN_KEY] = spans
        return doc
except ImportError:  # pragma: no cover
    pass
