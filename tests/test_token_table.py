"""The plain-list token attributes used on hot paths equal spaCy's Token attributes."""

from __future__ import annotations

import spacy
from spacy.tokens import Doc

from lmi.nlp.components import candidate_phrases
from lmi.nlp.types import TokenTable, doc_text, span_text, token_table

TEXTS = [
    "Experience with Python, SQL &  C#.\n\nSend your CV to jobs@example.org or http://x.example!",
    "3.5 years of hands-on work in e.g. AWS/GCP; strong communication skills.  ",
    "",
    "  \n\t",
]


def test_token_table_matches_token_attributes() -> None:
    nlp = spacy.blank("en")
    for text in TEXTS:
        doc = nlp(text)
        t = token_table(doc)
        assert len(t.text) == len(doc)
        for i, tok in enumerate(doc):
            assert (t.text[i], t.lower[i], t.whitespace[i], t.is_space[i], t.is_alpha[i],
                    t.is_punct[i], t.like_num[i], t.like_url[i], t.like_email[i]) == (
                tok.text, tok.lower_, tok.whitespace_, tok.is_space, tok.is_alpha,
                tok.is_punct, tok.like_num, tok.like_url, tok.like_email), (text, i)
        assert token_table(doc) is t                      # built once per doc
        assert doc_text(doc) == doc.text
        for span in [doc[a:b] for a in range(len(doc)) for b in range(a, len(doc) + 1)]:
            assert span_text(span) == span.text


def test_token_table_survives_doc_serialisation() -> None:
    nlp = spacy.blank("en")
    doc = nlp(TEXTS[0])
    token_table(doc)
    copy = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert isinstance(token_table(copy), TokenTable)
    assert token_table(copy).text == [tok.text for tok in copy]


def test_candidate_phrases_skip_fillers_urls_and_blocked_tokens() -> None:
    nlp = spacy.blank("en")
    doc = nlp("Strong experience with Python and data pipelines; see http://x.example for details.")
    phrases = [span_text(s) for s in candidate_phrases(doc, [])]
    assert "Python" in phrases and "data pipelines" in phrases
    assert not any("http" in p or p.lower().startswith(("strong", "experience")) for p in phrases)
    blocked = [s for s in candidate_phrases(doc, []) if span_text(s) == "Python"]
    assert "Python" not in [span_text(s) for s in candidate_phrases(doc, blocked)]
