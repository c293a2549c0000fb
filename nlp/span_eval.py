"""Exact-match span precision / recall / F1 on SkillSpan-format files.

The pipeline reads each sentence as raw text (tokens joined by single spaces, tokenized by the
pipeline's own tokenizer, as in use and in training); spans are compared by character offsets in
that text. A prediction (sentence, start char, end char, label) is correct when the same tuple is
gold, i.e. it has exactly a gold span's SkillSpan token boundaries and label. Figures: "skill" and
"knowledge" (one label each), "both" (typed: all labels together, so right boundaries with the
wrong label count as one FP and one FN) and "any" (untyped: boundaries only, each distinct
(sentence, start, end) counted once).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from lmi.nlp.spans_data import GOLD_KEY, KNOWLEDGE, SKILL, load_docs

Triple = tuple[int, int, int, str]  # sentence index, start, end, label


def prf(predicted: Iterable[tuple], gold: Iterable[tuple]) -> dict:
    """Exact-match counts and P/R/F1 of two sets of hashable items (0.0 where undefined)."""
    pred_set, gold_set = set(predicted), set(gold)
    tp = len(pred_set & gold_set)
    fp, fn = len(pred_set) - tp, len(gold_set) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def span_scores(predicted: Iterable[Triple], gold: Iterable[Triple]) -> dict[str, dict]:
    """P/R/F1 for skill, knowledge, both (typed) and any (untyped) of (sent, start, end, label)."""
    pred, gold = set(predicted), set(gold)

    def only(items: set, label: str) -> set:
        return {t for t in items if t[3] == label}

    def untyped(items: set) -> set:
        return {t[:3] for t in items}

    return {
        "skill": prf(only(pred, SKILL), only(gold, SKILL)),
        "knowledge": prf(only(pred, KNOWLEDGE), only(gold, KNOWLEDGE)),
        "both": prf(pred, gold),
        "any": prf(untyped(pred), untyped(gold)),
    }


def gold_triples(docs: list[Doc]) -> list[Triple]:
    """(sentence index, start char, end char, label) of the gold spans stored on the docs."""
    return [(i, s.start_char, s.end_char, s.label_)
            for i, d in enumerate(docs) for s in d.spans.get(GOLD_KEY, [])]


def predicted_triples(texts: list[str], nlp: Language, spans_key: str) -> list[Triple]:
    """Run nlp on raw texts and collect its spans as (index, start char, end char, label)."""
    out: list[Triple] = []
    for i, doc in enumerate(nlp.pipe(texts, batch_size=256)):
        out.extend((i, s.start_char, s.end_char, s.label_) for s in doc.spans.get(spans_key, []))
    return out


def evaluate_spans(dataset_path: str | Path, nlp: Language | None = None, *,
                   model_dir: str | Path | None = None) -> dict:
    """Score a span pipeline (default: spacy.blank("en") + the shipped lmi_span_model) on a file.

    Returns {"dataset", "docs", "gold_spans", "predicted_spans", "scores": span_scores(...)}.
    `nlp` may be any pipeline writing doc.spans["model_candidates"] (e.g. the stacked tagger).
    """
    from lmi.nlp.span_component import SPANS_KEY, span_pipeline

    nlp = nlp or span_pipeline(model_dir)
    docs = load_docs(dataset_path)
    gold = gold_triples(docs)
    pred = predicted_triples([d.text for d in docs], nlp, SPANS_KEY)
    return {"dataset": str(dataset_path), "docs": len(docs), "gold_spans": len(gold),
            "predicted_spans": len(pred), "scores": span_scores(pred, gold)}
