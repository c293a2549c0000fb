"""Evaluate skill linking (ranking) and extraction (asserted sets) on ESCO-linking style CSV files.

File format: CSV with columns `sentence,span,sub_span,label` (Decorte et al. 2022). `label` is a
framework preferred label, or `LABEL NOT PRESENT` / `UNDERSPECIFIED` (skipped). Labels map to
framework skills by preferred label, case-insensitively; labels the framework lacks are dropped
(and counted).

Linking protocol (default `mode="sentence"`, the published one): every distinct sentence with at
least one in-framework gold skill is ranked against ALL skills of the framework using the
sentence text alone; RP@k = |gold ∩ top-k| / min(k, |gold|) and the reciprocal rank of the first
gold skill are averaged over sentences. `mode="spans"` instead ranks each annotated span (with the
sentence as context) and fuses the rankings by each skill's best score: an oracle-span diagnostic
that isolates the linker from span detection. MRR is computed over the top `depth` (100) skills;
a gold skill ranked lower contributes < 0.01.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lmi.nlp.metrics import mean, micro_prf, reciprocal_rank, rp_at_k

SKIPPED_LABELS = frozenset({"label not present", "underspecified"})
REQUIRED_COLUMNS = ("sentence", "span", "label")


class EvaluationError(Exception):
    """A problem with the evaluation input the user can fix (bad file, framework not imported)."""


class Ranker(Protocol):
    def rank(self, texts: Sequence[str], k: int = 10,
             contexts: Sequence[str | None] | None = None) -> list[list[tuple[str, float]]]: ...


class Extractor(Protocol):
    def extract(self, text: str) -> Any: ...


@dataclass(frozen=True)
class AnnotatedSpan:
    """One CSV row: a span of the sentence and the label it links to."""

    span: str
    sub_span: str
    label: str


@dataclass
class LinkingSentence:
    """All annotated rows of one distinct sentence."""

    sentence: str
    spans: list[AnnotatedSpan] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """Distinct gold labels, in file order, without LABEL NOT PRESENT / UNDERSPECIFIED."""
        seen: dict[str, None] = {}
        for s in self.spans:
            if s.label.strip().lower() not in SKIPPED_LABELS and s.label.strip():
                seen.setdefault(s.label.strip(), None)
        return list(seen)


def read_linking_csv(path: str | Path) -> list[LinkingSentence]:
    """Rows of an ESCO-linking CSV grouped by sentence (first-appearance order)."""
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"no such dataset file: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise EvaluationError(
                f"{path} lacks column(s) {', '.join(missing)}; "
                "expected sentence,span,sub_span,label")
        groups: dict[str, LinkingSentence] = {}
        for row in reader:
            sentence = (row["sentence"] or "").strip()
            if not sentence:
                continue
            group = groups.setdefault(sentence, LinkingSentence(sentence))
            group.spans.append(AnnotatedSpan((row["span"] or "").strip(),
                                             (row.get("sub_span") or "").strip(),
                                             (row["label"] or "").strip()))
    return list(groups.values())


def framework_label_map(con: Any, framework_id: str) -> dict[str, str]:
    """lower(preferred label) -> skill_id of a framework; EvaluationError if it is not imported."""
    found = con.execute(
        "SELECT lower(preferred_label), skill_id FROM skills WHERE framework_id = ?",
        [framework_id]).fetchall()
    if not found:
        raise EvaluationError(
            f"framework '{framework_id}' has no skills in this warehouse; import it first, "
            f"e.g. `lmi frameworks import {framework_id} PATH`")
    return dict(found)


def gold_skill_ids(item: LinkingSentence, label_map: dict[str, str]) -> tuple[set[str], int]:
    """(gold skill ids, number of labels the framework lacks) for one sentence."""
    gold, unknown = set(), 0
    for label in item.labels:
        skill_id = label_map.get(label.lower())
        if skill_id is None:
            unknown += 1
        else:
            gold.add(skill_id)
    return gold, unknown


def _load(dataset: str | Path | Iterable[LinkingSentence]) -> list[LinkingSentence]:
    if isinstance(dataset, str | Path):
        return read_linking_csv(dataset)
    return list(dataset)


def default_ranker(con: Any, framework_id: str) -> Ranker:
    """The production ranker for a framework (packaged encoder + adapter/re-ranker if present)."""
    from lmi.nlp.ranker import load_ranker

    return load_ranker(con, framework_id)


def _span_rankings(ranker: Ranker, item: LinkingSentence, depth: int) -> list[tuple[str, float]]:
    spans = list(dict.fromkeys(s.sub_span or s.span for s in item.spans if (s.sub_span or s.span)))
    spans = spans or [item.sentence]
    best: dict[str, float] = {}
    for ranking in ranker.rank(spans, k=depth, contexts=[item.sentence] * len(spans)):
        for skill_id, score in ranking:
            best[skill_id] = max(score, best.get(skill_id, float("-inf")))
    return sorted(best.items(), key=lambda kv: -kv[1])[:depth]


def evaluate_linking(con: Any, dataset: str | Path | Iterable[LinkingSentence],
                     framework_id: str = "esco", ranker: Ranker | None = None, *,
                     mode: str = "sentence", depth: int = 100) -> dict[str, Any]:
    """RP@1/5/10 (in %), MRR and counts of ranking all framework skills per gold sentence."""
    if mode not in ("sentence", "spans"):
        raise ValueError("mode must be 'sentence' or 'spans'")
    items = _load(dataset)
    label_map = framework_label_map(con, framework_id)
    golds, kept, unknown = [], [], 0
    for item in items:
        gold, missing = gold_skill_ids(item, label_map)
        unknown += missing
        if gold:
            golds.append(gold)
            kept.append(item)
    ranker = ranker or default_ranker(con, framework_id)
    if mode == "sentence":
        rankings = ranker.rank([i.sentence for i in kept], k=depth) if kept else []
    else:
        rankings = [_span_rankings(ranker, i, depth) for i in kept]
    ranked_ids = [[skill_id for skill_id, _ in r] for r in rankings]
    result: dict[str, Any] = {
        f"rp@{k}": 100 * mean(rp_at_k(g, r, k) for g, r in zip(golds, ranked_ids, strict=True))
        for k in (1, 5, 10)
    }
    result["mrr"] = mean(reciprocal_rank(g, r) for g, r in zip(golds, ranked_ids, strict=True))
    result.update(n_sentences=len(kept), n_gold=sum(len(g) for g in golds),
                  n_sentences_in_file=len(items), n_labels_not_in_framework=unknown, mode=mode)
    return result


def predicted_skill_ids(extraction: Any, framework_id: str) -> set[str]:
    """Skill ids an Extraction asserts for one framework."""
    return {m.skill_id for m in extraction.skills if m.framework_id == framework_id}


def evaluate_extraction(con: Any, dataset: str | Path | Iterable[LinkingSentence],
                        extractor: Extractor | None = None, *,
                        framework_id: str = "esco") -> dict[str, Any]:
    """Micro P/R/F1 of the skills the extractor asserts per sentence vs the gold set.

    Every distinct sentence of the file counts (one with only out-of-framework labels has an
    empty gold set, so anything asserted there is a false positive).
    """
    items = _load(dataset)
    label_map = framework_label_map(con, framework_id)
    if extractor is None:
        from lmi.nlp.extractor import SkillExtractor

        extractor = SkillExtractor.from_warehouse(con)
    pairs = []
    for item in items:
        gold, _ = gold_skill_ids(item, label_map)
        pairs.append((gold, predicted_skill_ids(extractor.extract(item.sentence), framework_id)))
    counts = micro_prf(pairs)
    return {"precision": counts.precision, "recall": counts.recall, "f1": counts.f1,
            "tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "n_sentences": len(items),
            "n_gold": counts.tp + counts.fn, "n_predicted": counts.tp + counts.fp}


def evaluate_boilerplate_skillspan(path: str | Path) -> dict[str, Any]:
    """How much boilerplate detection would cost on SkillSpan-format postings.

    Sentences of a posting (same `idx`) are joined one per line and run through
    `boilerplate_spans`; reports the share of sentences flagged and the share of gold
    skill/knowledge spans inside boilerplate (spans that the linker would lose).
    """
    import json

    from lmi.nlp.boilerplate import boilerplate_spans, inside_boilerplate

    postings: dict[Any, list[dict[str, Any]]] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                postings.setdefault(rec["idx"], []).append(rec)
    n_sent = flagged = n_spans = lost = 0
    for records in postings.values():
        offsets, parts, pos = [], [], 0
        for rec in records:
            text = " ".join(rec["tokens"])
            offsets.append(pos)
            parts.append(text)
            pos += len(text) + 1
        spans = boilerplate_spans("\n".join(parts))
        for rec, start, text in zip(records, offsets, parts, strict=True):
            n_sent += 1
            flagged += inside_boilerplate(spans, start, start + max(1, len(text)))
            token_starts = np.cumsum([0] + [len(t) + 1 for t in rec["tokens"]])
            for layer in ("tags_skill", "tags_knowledge"):
                for b, e in _bio(rec[layer]):
                    n_spans += 1
                    lost += inside_boilerplate(spans, start + int(token_starts[b]),
                                               start + int(token_starts[e]) - 1)
    return {"postings": len(postings), "sentences": n_sent, "sentences_flagged": flagged,
            "gold_spans": n_spans, "gold_spans_in_boilerplate": lost,
            "share_spans_lost": lost / n_spans if n_spans else 0.0}


def _bio(tags: Sequence[str]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, tag in enumerate([*tags, "O"]):
        if tag.startswith("I") and start is not None:
            continue
        if start is not None:
            spans.append((start, i))
            start = None
        if tag[:1] in ("B", "I"):
            start = i
    return spans


def boilerplate_effect(extractor: Extractor, texts: Iterable[str]) -> dict[str, Any]:
    """Skills the extractor asserts inside / outside boilerplate spans, over whole postings."""
    from lmi.nlp.boilerplate import boilerplate_spans, inside_boilerplate

    inside, outside, examples = 0, 0, []
    for text in texts:
        spans = boilerplate_spans(text)
        for m in extractor.extract(text).skills:
            if inside_boilerplate(spans, m.start, m.end):
                inside += 1
                examples.append(f"{m.text} -> {m.label}")
            else:
                outside += 1
    return {"asserted_before": inside + outside, "asserted_in_boilerplate": inside,
            "asserted_after": outside, "dropped_examples": examples}
