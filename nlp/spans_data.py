"""Read SkillSpan-format JSON lines (tokens + BIO skill/knowledge layers) into spaCy Docs.

Each line: {"idx", "tokens", "tags_skill", "tags_knowledge", "source"}. Skill and knowledge are two
independent BIO layers, so a skill span may overlap a knowledge span. Gold spans go into
`doc.spans[GOLD_KEY]` with labels SKILL / KNOWLEDGE (overlap kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

SKILL = "SKILL"
KNOWLEDGE = "KNOWLEDGE"
LABELS = (SKILL, KNOWLEDGE)
LAYERS = {SKILL: "tags_skill", KNOWLEDGE: "tags_knowledge"}
GOLD_KEY = "gold"

SpanTuple = tuple[int, int, str]  # token start, token end (exclusive), label


def as_paths(path: str | Path | Sequence[str | Path]) -> list[Path]:
    """One path or several, as a list of paths."""
    return [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]


def read_records(path: str | Path | Sequence[str | Path]) -> Iterator[dict]:
    """Yield the JSON records of a SkillSpan-format file (or of several, in order), skipping
    blank lines."""
    for one in as_paths(path):
        with Path(one).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def bio_to_spans(tags: Sequence[str]) -> list[tuple[int, int]]:
    """Token (start, end) spans of a BIO sequence; an I without a preceding span opens one."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, tag in enumerate(list(tags) + ["O"]):
        tag = tag.split("-", 1)[0].upper()
        if tag == "I" and start is not None:
            continue
        if start is not None:
            spans.append((start, i))
            start = None
        if tag in ("B", "I"):
            start = i
    return spans


def record_spans(record: dict) -> list[SpanTuple]:
    """Gold (start, end, label) triples of one record, both layers, sorted."""
    spans = [
        (start, end, label)
        for label, layer in LAYERS.items()
        for start, end in bio_to_spans(record.get(layer) or [])
    ]
    return sorted(spans)


def record_to_doc(record: dict, vocab: Vocab) -> Doc:
    """A Doc with the record's tokens as words (single spaces) and gold spans in doc.spans."""
    words = [str(t) for t in record["tokens"]]
    doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False] if words else [])
    doc.spans[GOLD_KEY] = [Span(doc, s, e, label=lab) for s, e, lab in record_spans(record)]
    doc.user_data["source"] = record.get("source")
    doc.user_data["idx"] = record.get("idx")
    return doc


def load_docs(path: str | Path, vocab: Vocab | None = None) -> list[Doc]:
    """All records of a SkillSpan-format file as Docs (non-empty sentences only)."""
    vocab = vocab or Vocab()
    return [record_to_doc(r, vocab) for r in read_records(path) if r.get("tokens")]


def doc_gold(doc: Doc) -> list[SpanTuple]:
    """The gold (start, end, label) triples stored on a Doc by record_to_doc."""
    return [(s.start, s.end, s.label_) for s in doc.spans.get(GOLD_KEY, [])]


def with_entities(docs: Iterable[Doc], labels: Sequence[str]) -> list[Doc]:
    """Copies of docs whose doc.ents hold the gold spans of `labels` (overlaps: longest kept)."""
    out = []
    for doc in docs:
        copy = doc.copy()
        spans = [s for s in copy.spans.get(GOLD_KEY, []) if s.label_ in labels]
        copy.ents = filter_spans(spans)
        out.append(copy)
    return out


def write_docbin(docs: Iterable[Doc], path: str | Path) -> Path:
    """Serialise docs (with their ents and spans) to a .spacy file for spaCy's trainer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    return path
