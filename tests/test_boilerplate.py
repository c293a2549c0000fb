"""Boilerplate detection on hand-written postings, and the `lmi_boilerplate` spaCy component."""

from __future__ import annotations

import spacy

from lmi.nlp.boilerplate import (
    ABOUT,
    APPLY,
    BENEFITS,
    EEO,
    boilerplate_spans,
    heading_kind,
    inside_boilerplate,
    sentence_kind,
)

POSTING = """Data Analyst - Calgary, AB

About Us
Northwind Energy is a leading Canadian utility founded in 1987.
We power 400,000 homes across Alberta.

Responsibilities
- Build dashboards in Power BI and maintain SQL data pipelines.
- Present findings to senior management.

Qualifications:
- 3+ years of experience with Python and SQL.
- Strong communication skills.

What we offer
- Competitive salary and RRSP matching
- Professional development and training budget

How to Apply
Send your resume and cover letter to jobs@example.com by March 1.

Northwind is an equal opportunity employer and welcomes applications from persons with disabilities.
"""


def _kind_at(spans, text: str, needle: str) -> str | None:
    start = text.index(needle)
    for s, e, kind in spans:
        if s <= start < e:
            return kind
    return None


def test_sections_by_heading() -> None:
    spans = boilerplate_spans(POSTING)
    assert _kind_at(spans, POSTING, "We power 400,000 homes") == ABOUT
    assert _kind_at(spans, POSTING, "Professional development and training") == BENEFITS
    assert _kind_at(spans, POSTING, "Send your resume") == APPLY


def test_requirements_are_not_boilerplate() -> None:
    spans = boilerplate_spans(POSTING)
    for needle in ("Build dashboards in Power BI", "3+ years of experience with Python",
                   "Strong communication skills", "Present findings"):
        assert _kind_at(spans, POSTING, needle) is None, needle


def test_eeo_sentence_after_apply_section_is_boilerplate() -> None:
    spans = boilerplate_spans(POSTING)
    # the EEO line sits under "How to Apply": still boilerplate, whatever the kind
    assert _kind_at(spans, POSTING, "equal opportunity employer") in {APPLY, EEO}


def test_sentence_rules_without_headings() -> None:
    text = ("We need a welder with CWB certification and blueprint reading skills. "
            "We offer dental benefits and a pension plan. "
            "We are an equal opportunity employer and value diversity.")
    spans = boilerplate_spans(text)
    assert _kind_at(spans, text, "We need a welder") is None
    assert _kind_at(spans, text, "We offer dental") == BENEFITS
    assert _kind_at(spans, text, "We are an equal") == EEO


def test_heading_and_sentence_helpers() -> None:
    assert heading_kind("BENEFITS") == BENEFITS
    assert heading_kind("Why join us?") == ABOUT
    assert heading_kind("Requirements:") == "content"
    assert heading_kind("You will design APIs and build data pipelines for our clients.") is None
    assert sentence_kind("Experience with Kubernetes is an asset.") == "content"
    assert sentence_kind("Only candidates selected for an interview will be contacted.") == APPLY


def test_inside_boilerplate_overlap() -> None:
    spans = [(10, 20, BENEFITS), (40, 50, EEO)]
    assert inside_boilerplate(spans, 12, 15)
    assert inside_boilerplate(spans, 18, 25)          # overlaps the end
    assert not inside_boilerplate(spans, 20, 40)      # touches both, overlaps neither
    assert inside_boilerplate(spans, 45, 60)
    assert not inside_boilerplate([], 0, 5)


def test_spacy_component_marks_doc_spans() -> None:
    import lmi.nlp.boilerplate  # noqa: F401  (registers the factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("lmi_boilerplate")
    doc = nlp(POSTING)
    labels = {span.label_ for span in doc.spans["boilerplate"]}
    assert {ABOUT, BENEFITS, APPLY} <= labels
    texts = " ".join(span.text for span in doc.spans["boilerplate"])
    assert "RRSP" in texts
    assert "Power BI" not in texts
