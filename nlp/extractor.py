"""The skill extractor: a spaCy pipeline (ruler -> candidate phrases -> linker)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

import duckdb
import spacy
from spacy.language import Language

from lmi.nlp import boilerplate, components, ranker  # noqa: F401 - boilerplate registers its component
from lmi.nlp.embeddings import Encoder, LabelIndex, get_encoder
from lmi.nlp.frameworks import list_frameworks
from lmi.nlp.types import Extraction

DEFAULT_THRESHOLD = ranker.DEFAULT_THRESHOLD  # chosen from the dev PR curve (docs/linking.md)
PIPELINE_VERSION = "v5"  # v5: span tagger spans linked (ESCO); v4: bf16, lighter sub-phrases
IndexProgress = Callable[[str, int, int], None]     # (framework_id, done, total)
# the span tagger's spans are linked too where the acceptance model decides (LMI_SPAN_CANDIDATES=0:
# heuristic phrases only, faster, lower recall; docs/linking.md)
SPAN_CANDIDATES = os.environ.get("LMI_SPAN_CANDIDATES", "1") != "0"


class SkillExtractor:
    """Extract framework skills from text with offsets, confidences and unlinked phrases."""

    def __init__(self, indexes: dict[str, LabelIndex], encoder: Encoder, *,
                 threshold: float | None = None, span_model: bool | str | None = None) -> None:
        """span_model: also link the trained span tagger's spans (True = its default folder, a
        path = another folder). None (default): on when the learned acceptance model decides,
        since it was trained on those spans (ESCO); LMI_SPAN_CANDIDATES=0 turns it off."""
        self.indexes = indexes
        self.encoder = encoder
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        if span_model is None:
            span_model = SPAN_CANDIDATES and components.acceptance_model_for(
                list(indexes), self.threshold) is not None
        self.span_model = span_model
        key = components.register_resources(components.LinkingResources(indexes, encoder))
        span_keys = [components.RULER_KEY, components.PHRASE_KEY]
        self.nlp: Language = spacy.blank("en")
        self.nlp.add_pipe("lmi_boilerplate")
        self.nlp.add_pipe("lmi_skill_ruler",
                          config={"resources": key, "framework_ids": list(indexes)})
        self.nlp.add_pipe("lmi_candidate_phrases")
        if span_model:
            from lmi.nlp import span_component

            model_dir = None if span_model is True else str(span_model)
            self.nlp.add_pipe("lmi_span_model", config={"model_dir": model_dir})
            span_keys.append(span_component.SPANS_KEY)
        self.nlp.add_pipe("lmi_skill_linker", config={
            "resources": key, "threshold": self.threshold, "span_keys": span_keys})

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection,
                       framework_ids: list[str] | None = None, *, threshold: float | None = None,
                       progress: IndexProgress | None = None,
                       span_model: bool | str | None = None) -> SkillExtractor:
        """Build over the given frameworks (default: all loaded), reusing cached embeddings."""
        loaded = [f["id"] for f in list_frameworks(con)]
        wanted = framework_ids or sorted(loaded)
        missing = [fw for fw in wanted if fw not in loaded]
        if missing:
            raise KeyError(f"framework(s) not loaded: {', '.join(missing)}; "
                           "import them with `lmi frameworks import`")
        if not wanted:
            raise KeyError("no framework loaded; run `lmi frameworks import starter` first")
        encoder = get_encoder()
        indexes = {}
        for fw in wanted:
            step = (lambda done, total, fw=fw: progress(fw, done, total)) if progress else None
            indexes[fw] = LabelIndex.build(con, fw, encoder, progress=step)
        return cls(indexes, encoder, threshold=threshold, span_model=span_model)

    @property
    def version(self) -> str:
        """E.g. 'lmi-extractor v1 [lmi_skill_ruler,...] esco@1.1.1 all-MiniLM-L6-v2 t=0.75'."""
        pipes = ",".join(self.nlp.pipe_names)
        frameworks = " ".join(f"{fw}@{ix.version or '?'}" for fw, ix in self.indexes.items())
        return (f"lmi-extractor {PIPELINE_VERSION} [{pipes}] {frameworks} "
                f"{self.encoder.model_id} t={self.threshold:g}")

    def extract(self, text: str) -> Extraction:
        """Skills and unlinked phrases of one text; offsets index into `text`."""
        return _extraction(self.nlp(text or ""))

    def extract_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Extraction]:
        """Like extract() for many texts, linking each batch's phrases in one encoder call."""
        for doc in self.nlp.pipe((t or "" for t in texts), batch_size=batch_size):
            yield _extraction(doc)

    def clear_caches(self) -> None:
        """Forget everything cached per phrase, sentence or text (label vectors stay): the next
        extraction starts cold, as in a new process with no phrase file (benchmarks use it)."""
        from lmi.nlp import acceptance

        acceptance.clear_caches()
        boilerplate.heading_kind.cache_clear()
        boilerplate.sentence_kind.cache_clear()
        self.encoder._cache.clear()
        for _, pipe in self.nlp.pipeline:
            if hasattr(pipe, "clear_caches"):
                pipe.clear_caches()


def _extraction(doc) -> Extraction:
    return Extraction(skills=list(doc._.skills or []), unlinked=list(doc._.unlinked or []))
