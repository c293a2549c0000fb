"""spaCy components for the trained SkillSpan taggers.

`lmi_span_model` loads a span model folder (default: models/skillspan_minilm, the MiniLM BIO
tagger; models/skillspan_spans, the spaCy CNN, also works: the kind is detected from the folder)
and writes predicted spans (labels SKILL / KNOWLEDGE) into doc.spans["model_candidates"] of any
doc, e.g. one made by spacy.blank("en") from raw text:

    nlp = spacy.blank("en"); nlp.add_pipe("lmi_span_model")
    doc = nlp("Experience with Python and strong communication skills.")
    [(s.text, s.label_) for s in doc.spans["model_candidates"]]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from lmi.config import MODELS_DIR
from lmi.nlp import boilerplate

SPANS_KEY = "model_candidates"
MODEL_NAME = "skillspan_minilm"      # the default: best on SkillSpan dev
CNN_MODEL_NAME = "skillspan_spans"


def default_model_dir() -> Path:
    """Where the default (best-on-dev) span tagger lives; the CNN if the MiniLM one is absent."""
    from lmi.nlp.span_transformer import is_transformer_dir

    preferred = MODELS_DIR / MODEL_NAME
    return preferred if is_transformer_dir(preferred) else MODELS_DIR / CNN_MODEL_NAME


def model_kind(model_dir: str | Path) -> str:
    """"minilm" or "cnn" for a span model folder; FileNotFoundError when it holds neither."""
    from lmi.nlp.span_transformer import is_transformer_dir

    if is_transformer_dir(model_dir):
        return "minilm"
    if (Path(model_dir) / "config.cfg").is_file():
        return "cnn"
    raise FileNotFoundError(f"no trained span model in {model_dir}")


@Language.component("lmi_ents_to_spans")
def ents_to_spans(doc: Doc) -> Doc:
    """Append doc.ents to doc.spans["model_candidates"] and clear doc.ents for the next tagger."""
    group = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    doc.spans[SPANS_KEY] = group + list(doc.ents)
    doc.set_ents([], default="missing")
    return doc


@lru_cache(maxsize=4)
def load_tagger(model_dir: str) -> Language:
    """The stacked tagger pipeline saved by train_spans (cached per folder)."""
    path = Path(model_dir)
    if not (path / "config.cfg").exists():
        raise FileNotFoundError(f"no trained span model in {path}")
    return spacy.load(path)


class SpanModel:
    """Runs the CNN tagger on a copy of the doc's tokens and copies the spans back."""

    def __init__(self, model_dir: str | Path | None = None, spans_key: str = SPANS_KEY):
        self.tagger = load_tagger(str(Path(model_dir or default_model_dir()).resolve()))
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def _copy(self, doc: Doc) -> Doc:
        """The doc's tokens (with tokenizer-assigned norms) in the tagger's vocab."""
        if not len(doc):
            return Doc(self.tagger.vocab, words=[" "], spaces=[False])
        copy = Doc(self.tagger.vocab, words=[t.text for t in doc],
                   spaces=[bool(t.whitespace_) for t in doc])
        for target, source in zip(copy, doc, strict=True):
            if source.norm_ != target.norm_:
                target.norm_ = source.norm_
        return copy

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        """Tag docs in batches (spaCy calls this from nlp.pipe)."""
        for batch in minibatch(docs, size=batch_size):
            copies = [self._copy(d) for d in batch]
            for doc, tagged in zip(batch, self.tagger.pipe(copies), strict=True):
                found = sorted({(s.start, s.end, s.label_)
                                for s in tagged.spans.get(SPANS_KEY, []) if s.end <= len(doc)})
                doc.spans[self.spans_key] = [Span(doc, s, e, label=lab) for s, e, lab in found]
                yield doc


class TransformerSpanModel:
    """Runs the MiniLM tagger over the doc's sentences, batched across docs by `pipe`."""

    def __init__(self, model_dir: str | Path, spans_key: str = SPANS_KEY,
                 quantize: bool = False):
        from lmi.nlp.span_transformer import load_transformer

        self.tagger = load_transformer(str(Path(model_dir).resolve()), quantize)
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def clear_caches(self) -> None:
        """Forget the sentences tagged so far (SkillExtractor.clear_caches)."""
        self.tagger.clear_caches()

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Tag docs in batches of `batch_size` docs (spaCy calls this from nlp.pipe)."""
        for batch in minibatch(docs, size=batch_size):
            # sentences wholly inside boilerplate are not tagged: the linker drops their skills
            skip = [boilerplate.boilerplate_tokens(doc) for doc in batch]
            for doc, found in zip(batch, self.tagger.predict(batch, skip), strict=True):
                doc.spans[self.spans_key] = [Span(doc, s, e, label=lab) for s, e, lab in found]
                yield doc


@Language.factory("lmi_span_model", default_config={
    "model_dir": None, "spans_key": SPANS_KEY, "quantize": False})
def make_span_model(nlp: Language, name: str, model_dir: str | None, spans_key: str,
                    quantize: bool) -> SpanModel | TransformerSpanModel:
    """Factory: `nlp.add_pipe("lmi_span_model", config={"model_dir": ...})` (default: shipped).

    The folder's kind (MiniLM tagger or spaCy CNN pipeline) picks the implementation;
    quantize (MiniLM only): int8 linear layers, about 3x faster.
    """
    folder = Path(model_dir) if model_dir else default_model_dir()
    if model_kind(folder) == "minilm":
        return TransformerSpanModel(folder, spans_key, quantize)
    return SpanModel(folder, spans_key)


def span_pipeline(model_dir: str | Path | None = None, quantize: bool = False) -> Language:
    """spacy.blank("en") + lmi_span_model: raw text in, doc.spans["model_candidates"] out."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lmi_span_model", config={
        "model_dir": str(model_dir) if model_dir else None, "quantize": quantize})
    return nlp
