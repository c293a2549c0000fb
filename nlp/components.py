"""spaCy components: a framework-label ruler, heuristic candidate phrases, and a skill linker.

Components get their framework data (label indexes, encoder) from `LinkingResources` registered
under a key; the key, thresholds and span groups are ordinary config values, so a pipeline is
assembled with `nlp.add_pipe(name, config=...)`.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import uuid
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

from lmi.nlp import acceptance as acceptance_mod
from lmi.nlp import boilerplate
from lmi.nlp.embeddings import Encoder, LabelIndex, SkillFacts
from lmi.nlp.ranker import (
    DEFAULT_THRESHOLD,
    SkillRanker,
    apply_adapter,
    confidence,
    load_adapter,
)
from lmi.nlp.types import SkillMention, TokenTable, UnlinkedPhrase, doc_text, span_text, token_table

RULER_KEY = "skill_candidates"
PHRASE_KEY = "phrase_candidates"
MAX_PHRASE_TOKENS = 6
COMMON_WORD_LABELS = 150    # a one-word alt label occurring in this many labels is too generic

# Single words that are labels somewhere in ESCO/O*NET but mean nothing on their own in a posting.
GENERIC_WORDS = {
    "ability", "absorb", "assembly", "brands", "business", "communicating", "correspondence",
    "data", "delight", "design", "detect", "development", "education", "experience",
    "information", "interaction", "knowledge", "management", "office", "patterns", "persist",
    "planning", "quality", "reproduction", "safety", "separation", "service", "skills",
    "sounds", "support", "team", "training", "work", "conversation", "packing", "project",
    "engineering", "lead", "current", "scale", "processes", "language", "plan", "balance",
    "interview", "form", "equipment", "source", "energy", "space", "choose", "survey", "scheme",
    "transport", "fuel", "warehouse", "reporting", "drilling", "process", "products", "tools",
    "systems", "operations", "strategy", "solutions", "technology", "services", "field",
    "term", "standard", "chip",
}
# Multi-word labels that read as ordinary job-ad prose rather than a skill.
GENERIC_PHRASES = {"be responsible", "application procedure", "application process",
                   "personal development", "take responsibility", "work independently",
                   "after the deadline"}
# Product names that are also everyday words: matched only case-sensitively ("Excel", not "excel").
AMBIGUOUS_NAMES = {
    "access", "excel", "word", "outlook", "teams", "chrome", "edge", "go", "swift", "rust",
    "spark", "sketch", "box", "slack", "zoom", "make", "notes", "pages", "numbers", "keynote",
    "visio", "project", "basic", "less", "assembly", "ruby", "shell", "hive", "pig", "dart",
}
# Words about the job itself, not a skill: a phrase made only of these (and fillers) is skipped.
JOB_WORDS = {
    "job", "role", "position", "company", "industry", "team", "teams", "engineer", "engineers",
    "developer", "developers", "manager", "specialist", "specialists", "senior", "junior", "lead",
    "description", "type", "size", "level", "time", "salary", "benefits", "location", "office",
    "opportunity", "opportunities", "candidate", "candidates", "employer", "employees", "staff",
    "department", "organization", "organisation", "title", "reports", "responsibilities",
    "duties", "day", "days", "week", "weeks", "month", "months", "full", "part", "private",
}
# Words that introduce or qualify a requirement rather than name the skill.
FILLER_WORDS = STOP_WORDS | {
    "experience", "experienced", "knowledge", "ability", "abilities", "proficiency", "proficient",
    "familiarity", "familiar", "understanding", "strong", "excellent", "good", "solid",
    "proven", "demonstrated", "working", "hands", "skills", "skill", "required", "requirement",
    "requirements", "preferred", "plus", "asset", "years", "year", "minimum", "etc", "e.g.",
    "i.e.", "including", "related", "relevant", "must", "ideally", "expertise", "background",
    "advanced", "basic", "great", "previous", "ideal", "candidate", "willingness", "able",
    "capable", "capability", "capabilities", "competency", "competencies", "degree",
}
SPLIT_WORDS = {"and", "or", "&", "as", "well", "including", "such", "like", "e.g.", "i.e.",
               "etc", "while", "but", "also", "plus", "with", "using", "through", "within"}
PREPOSITIONS = {"across", "for", "in", "on", "at", "from", "by", "to", "of", "into", "under",
                "over", "between", "among", "per", "via", "throughout", "towards", "toward"}
_SEGMENT_PUNCT = re.compile(r"^[.,;:!?()\[\]{}\"'•·*|–—…]+$")


@dataclass
class LinkingResources:
    """Label indexes per framework plus the encoder shared by the ruler and the linker."""

    indexes: dict[str, LabelIndex]
    encoder: Encoder
    rankers: dict[str, SkillRanker] = field(default_factory=dict)
    generic_labels: set[str] = field(default_factory=set)   # labels the ruler judged too generic

    def __post_init__(self) -> None:
        # the production ranker (docs/linking.md): trained query adapter + sub-phrase fusion; its
        # threshold and calibration were chosen for these scores. LMI_LINK_SENTENCE_MODE=0 drops
        # the fusion: faster, but recall falls (scores shrink under the adapter alone)
        adapter = load_adapter()
        self.rankers = {fw: SkillRanker(ix, self.encoder, adapter=adapter,
                                        sentence_mode=LINK_SENTENCE_MODE)
                        for fw, ix in self.indexes.items()}


_RESOURCES: dict[str, LinkingResources] = {}


def register_resources(resources: LinkingResources, key: str | None = None) -> str:
    """Make resources available to components configured with `resources=<key>`."""
    key = key or f"lmi-{uuid.uuid4().hex[:12]}"
    _RESOURCES[key] = resources
    return key


def get_resources(key: str) -> LinkingResources:
    if key not in _RESOURCES:
        raise KeyError(f"no LinkingResources registered as {key!r}; call register_resources()")
    return _RESOURCES[key]


for _name in ("skills", "unlinked"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


# ---------------------------------------------------------------- ruler

def clean_label(label: str) -> str:
    """Collapse whitespace and strip stray edge punctuation ('OttoQL,' -> 'OttoQL')."""
    return re.sub(r"\s+", " ", label).strip().strip(",;:").strip()


def label_match_mode(label: str) -> str | None:
    """'lower' (case-insensitive), 'orth' (case-sensitive) or None (too generic to match)."""
    words = label.split()
    if (len(label) < 2 or all(w.lower() in STOP_WORDS for w in words)
            or label.lower() in GENERIC_PHRASES):
        return None
    if len(words) == 1:
        low = label.lower()
        if low in GENERIC_WORDS and low not in AMBIGUOUS_NAMES:
            return None
        if low in AMBIGUOUS_NAMES:
            return "orth" if label != low else None
        if len(label) <= 3 or label.isupper() and len(label) <= 5:
            return "orth" if label != low and not label.isdigit() else None
    return "lower"


class SkillRuler:
    """Matches framework labels (preferred and alternative) and writes doc.spans[RULER_KEY]."""

    def __init__(self, nlp: Language, name: str, resources: str, framework_ids: list[str],
                 span_key: str) -> None:
        self.name, self.span_key = name, span_key
        res = get_resources(resources)
        self.framework_ids = framework_ids or list(res.indexes)
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.pattern_count = 0
        self.generic_labels = res.generic_labels
        for fw in self.framework_ids:
            self._add_framework(nlp, fw, res.indexes[fw])

    def _add_framework(self, nlp: Language, fw: str, index: LabelIndex) -> None:
        patterns: dict[tuple[str, str], list[str]] = {}
        word_freq = Counter(w for label in index.labels for w in set(label.lower().split()))
        for skill_id, label, pref in zip(index.skill_ids, index.labels, index.is_preferred,
                                         strict=True):
            method = "exact" if pref else "alt_label"
            if not pref and label.islower() and word_freq[label] >= COMMON_WORD_LABELS:
                self.generic_labels.add(label)  # one-word synonym used in many labels ("conduct")
                continue
            variants = [clean_label(label)]
            if pref and "(" in label:
                variants.append(clean_label(re.sub(r"\s*\([^)]*\)", "", label)))
            for variant in variants:
                mode = label_match_mode(variant)
                if mode is None:
                    if len(variant) > 3:        # generic, not merely short ("git" stays linkable)
                        self.generic_labels.add(variant.lower())
                else:
                    key = f"{method}|{fw}|{skill_id}"
                    patterns.setdefault((key, mode), []).append(variant)
        by_mode: dict[str, list[tuple[str, str]]] = {"lower": [], "orth": []}
        for (key, mode), texts in patterns.items():
            by_mode[mode].extend((key, t) for t in dict.fromkeys(texts))
        for mode, matcher in (("lower", self.lower), ("orth", self.orth)):
            items = by_mode[mode]
            docs = nlp.tokenizer.pipe(t for _, t in items)
            for key, group in itertools.groupby(zip(items, docs, strict=True),
                                                key=lambda x: x[0][0]):
                matcher.add(key, [d for _, d in group])
                self.pattern_count += 1

    def __call__(self, doc: Doc) -> Doc:
        matches = [(doc.vocab.strings[m], s, e) for m, s, e in
                   itertools.chain(self.lower(doc), self.orth(doc))]
        extents = filter_spans([Span(doc, s, e) for _, s, e in set(matches)])
        keep = {(sp.start, sp.end) for sp in extents}
        best: dict[tuple[int, int, str], tuple[str, str]] = {}
        for key, s, e in sorted(matches):
            if (s, e) not in keep:
                continue
            method, fw, skill_id = key.split("|", 2)
            current = best.get((s, e, fw))
            if current is None or (method == "exact" and current[0] != "exact"):
                best[(s, e, fw)] = (method, skill_id)
        spans = [Span(doc, s, e, label=method, kb_id=f"{fw}|{skill_id}")
                 for (s, e, fw), (method, skill_id) in sorted(best.items())]
        doc.spans[self.span_key] = spans
        return doc


@Language.factory("lmi_skill_ruler",
                  default_config={"resources": "", "framework_ids": [], "span_key": RULER_KEY})
def make_skill_ruler(nlp: Language, name: str, resources: str, framework_ids: list[str],
                     span_key: str) -> SkillRuler:
    """Exact and alternative-label matches of the configured frameworks."""
    return SkillRuler(nlp, name, resources, framework_ids, span_key)


# ---------------------------------------------------------------- candidate phrases

def _is_break(t: TokenTable, i: int) -> bool:
    return (t.is_space[i] or "\n" in t.text[i] or t.lower[i] in SPLIT_WORDS
            or bool(_SEGMENT_PUNCT.match(t.text[i])))


def _trim(t: TokenTable, idx: list[int]) -> list[int]:
    """Token indices without leading fillers/stray symbols and trailing fillers/punctuation."""
    start, end = 0, len(idx)
    while start < end and (t.lower[idx[start]] in FILLER_WORDS or not t.is_alpha[idx[start]]
                           and not t.like_num[idx[start]] and len(t.text[idx[start]]) == 1):
        start += 1
    while end > start and (t.lower[idx[end - 1]] in FILLER_WORDS or t.is_punct[idx[end - 1]]):
        end -= 1
    return idx[start:end]


def _useful(t: TokenTable, idx: list[int]) -> bool:
    content = [i for i in idx if t.is_alpha[i] and len(t.text[i]) > 1
               and t.lower[i] not in FILLER_WORDS and t.lower[i] not in JOB_WORDS]
    if not content or any(t.like_url[i] or t.like_email[i] for i in idx):
        return False
    return not (len(idx) == 1 and t.lower[idx[0]] in GENERIC_WORDS)


def candidate_phrases(doc: Doc, blocked: Iterable[Span]) -> list[Span]:
    """Clauses split at punctuation, conjunctions and known matches, trimmed to 1-6 tokens."""
    t = token_table(doc)    # plain lists: no Token objects per look-up
    taken = set()
    for span in blocked:
        taken.update(range(span.start, span.end))
    segments: list[list[int]] = [[]]
    for i in range(len(t.text)):
        if i in taken or _is_break(t, i):
            segments.append([])
        else:
            segments[-1].append(i)
    out: dict[tuple[int, int], Span] = {}
    for seg in segments:
        # the whole clause, plus its chunks between prepositions ("managing projects | teams"),
        # plus, for long clauses, its chunks between stop words; the linker picks the best.
        pieces = [seg, *_chunks(t, seg, PREPOSITIONS)]
        if len(_trim(t, seg)) > MAX_PHRASE_TOKENS:
            pieces += _chunks(t, seg, STOP_WORDS)
        for piece in pieces:
            piece = _trim(t, piece)
            if 0 < len(piece) <= MAX_PHRASE_TOKENS and _useful(t, piece):
                out[(piece[0], piece[-1] + 1)] = doc[piece[0]:piece[-1] + 1]
    return [out[k] for k in sorted(out)]


def _chunks(t: TokenTable, idx: list[int], separators: set[str]) -> list[list[int]]:
    groups = [list(g) for sep, g in itertools.groupby(
        idx, key=lambda i: t.lower[i] in separators) if not sep]
    return groups if len(groups) > 1 else []


class CandidatePhrases:
    """Writes skill-like phrases that do not overlap ruler matches to doc.spans[span_key]."""

    def __init__(self, name: str, span_key: str, block_keys: list[str]) -> None:
        self.name, self.span_key, self.block_keys = name, span_key, block_keys

    def __call__(self, doc: Doc) -> Doc:
        blocked = [sp for key in self.block_keys if key in doc.spans for sp in doc.spans[key]]
        doc.spans[self.span_key] = candidate_phrases(doc, blocked)
        return doc


@Language.factory("lmi_candidate_phrases",
                  default_config={"span_key": PHRASE_KEY, "block_keys": [RULER_KEY]})
def make_candidate_phrases(nlp: Language, name: str, span_key: str,
                           block_keys: list[str]) -> CandidatePhrases:
    """Heuristic candidate phrases for semantic linking."""
    return CandidatePhrases(name, span_key, block_keys)


# ---------------------------------------------------------------- linker

LINK_SENTENCE_MODE = bool(int(os.environ.get("LMI_LINK_SENTENCE_MODE", "1")))
RANK_CACHE_SIZE = 200_000  # phrases per framework kept with their top-k skills
COS_CACHE_SIZE = 250_000   # (framework, skill, phrase or sentence) cosines kept for proposals
# learned acceptance (lmi.nlp.acceptance, models/linker_acceptance): on unless LMI_LINK_ACCEPTANCE=0
ACCEPTANCE_DEFAULT = bool(int(os.environ.get("LMI_LINK_ACCEPTANCE", "1")))
NO_FACTS = SkillFacts()


def acceptance_model_for(framework_ids: list[str], threshold: float = DEFAULT_THRESHOLD, *,
                         acceptance: bool = ACCEPTANCE_DEFAULT, acceptance_model: str = "",
                         acceptance_threshold: float = -1.0
                         ) -> acceptance_mod.AcceptanceModel | None:
    """The acceptance model the linker will use for these frameworks, or None (score threshold).

    An explicit score threshold (not the default) asks for the score-threshold linker, unless an
    acceptance threshold is given too; a model trained for other frameworks is not used.
    """
    explicit = abs(threshold - DEFAULT_THRESHOLD) > 1e-9
    if not acceptance or (explicit and acceptance_threshold < 0):
        return None
    try:
        model = acceptance_mod.AcceptanceModel.load(acceptance_model or None)
    except ValueError as err:   # trained for other features: only while retraining it
        warnings.warn(f"{err}; linking with the score threshold", stacklevel=2)
        return None
    return model if model and model.applies_to(framework_ids) else None


class SkillLinker:
    """Turns span groups into SkillMentions (doc._.skills) and UnlinkedPhrases (doc._.unlinked)."""

    def __init__(self, name: str, resources: str, span_keys: list[str], threshold: float,
                 single_word_threshold: float, unlinked_floor: float, exact_confidence: float,
                 alt_confidence: float, acceptance: bool = False, acceptance_model: str = "",
                 acceptance_threshold: float = -1.0) -> None:
        self.name = name
        self.resources = get_resources(resources)
        self.span_keys, self.threshold, self.unlinked_floor = span_keys, threshold, unlinked_floor
        self.single_word_threshold = max(threshold, single_word_threshold)
        self.confidence = {"exact": exact_confidence, "alt_label": alt_confidence}
        self._rank_cache: dict[str, dict[str, list]] = {}
        self._rows_cache: dict[str, dict[str, tuple[int, int]]] = {}
        self._facts_cache: dict[tuple[str, str], tuple] = {}
        # (fw, skill, phrase) -> (raw, adapter) cosines; (fw, skill, sentence) -> cosine
        self._cos_cache: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._sentence_cos_cache: dict[tuple[str, str, str], float] = {}
        self.acceptance = acceptance_model_for(
            list(self.resources.rankers), threshold, acceptance=acceptance,
            acceptance_model=acceptance_model, acceptance_threshold=acceptance_threshold)
        self.top_k = self.acceptance.top_k if self.acceptance else 1
        self.tau = acceptance_threshold if acceptance_threshold >= 0 else (
            self.acceptance.tau if self.acceptance else threshold)

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def use_acceptance(self, model: acceptance_mod.AcceptanceModel, tau: float) -> None:
        """Decide with another acceptance model (training scores its folds this way); the
        per-skill facts cached with the old model's label prior are dropped."""
        self.acceptance, self.tau, self.top_k = model, tau, model.top_k
        self._facts_cache.clear()

    def clear_caches(self) -> None:
        """Forget rankings and cosines of phrases and sentences (label vectors stay)."""
        for cache in (*self._rank_cache.values(), self._cos_cache, self._sentence_cos_cache):
            cache.clear()
        for ranker_ in self.resources.rankers.values():
            ranker_.clear_caches()

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Link a batch at once: every candidate phrase of the batch is encoded in one call."""
        for batch in minibatch(docs, size=batch_size):
            yield from self._link_batch(list(batch))

    def _link_batch(self, docs: list[Doc]) -> list[Doc]:
        if self.acceptance is not None:
            return self._accept_batch(docs)
        kept = [self._spans(doc) for doc in docs]
        candidates = [self._semantic_candidates(spans) for spans in kept]
        phrases = list(dict.fromkeys(span_text(sp) for spans in candidates for sp in spans))
        ranked = {fw: self._ranked(fw, ranker, phrases)
                  for fw, ranker in self.resources.rankers.items()} if phrases else {}
        for doc, spans, doc_spans in zip(docs, candidates, kept, strict=True):
            mentions = self._ruler_mentions(doc, doc_spans)
            unlinked = []
            for span, guesses in self._best_non_overlapping(spans, ranked):
                bar = self.single_word_threshold if len(span) == 1 else self.threshold
                if span_text(span).lower() in self.resources.generic_labels:
                    continue    # the ruler refused this label as too generic; so do we
                linked = [g for g in guesses if g[0] >= bar]
                for score, fw, skill_id in linked:
                    mentions.append(self._mention(doc, span, fw, skill_id,
                                                  float(confidence(score)), "semantic"))
                if not linked and guesses[0][0] >= self.unlinked_floor:
                    score, fw, skill_id = guesses[0]
                    unlinked.append(UnlinkedPhrase(span_text(span), span.start_char, span.end_char,
                                                   fw, skill_id, round(score, 4)))
            _store(doc, mentions, unlinked)
        return docs

    def _accept_batch(self, docs: list[Doc]) -> list[Doc]:
        """Acceptance mode: every proposal with p >= tau is asserted, with confidence p."""
        proposals = self.propose(docs)
        flat = [prop for per_doc in proposals for _, _, _, prop in per_doc]
        probs = iter(self.acceptance.score(flat).tolist())
        bars = iter(self.acceptance.bars(
            acceptance_mod.seen_mask(flat), self.tau).tolist())
        for doc, per_doc in zip(docs, proposals, strict=True):
            mentions, by_span, accepted = [], {}, []
            for span, fw, skill_id, prop in per_doc:
                p = next(probs)
                if p >= next(bars):
                    accepted.append((span, fw, skill_id, prop, p))
                best = by_span.get(span)
                if prop.winner and (best is None or prop.score > best[0]):
                    by_span[span] = (prop.score, fw, skill_id)
            keep = acceptance_mod.one_skill_per_span(
                [(sp.start_char, sp.end_char, fw, skill_id, p)
                 for sp, fw, skill_id, _, p in accepted]) if self.acceptance.one_per_span \
                else [True] * len(accepted)
            mentions = [self._mention(doc, sp, fw, skill_id, p, prop.method)
                        for (sp, fw, skill_id, prop, p), k in zip(accepted, keep, strict=True)
                        if k]
            asserted = [(m.start, m.end) for m in mentions]
            unlinked = [UnlinkedPhrase(span_text(span), span.start_char, span.end_char, fw,
                                       skill_id, round(score, 4))
                        for span, (score, fw, skill_id) in by_span.items()
                        if score >= self.unlinked_floor and not any(
                            s < span.end_char and span.start_char < e for s, e in asserted)]
            _store(doc, mentions, unlinked)
        return docs

    def propose(self, docs: list[Doc]
                ) -> list[list[tuple[Span, str, str, acceptance_mod.Proposal]]]:
        """Per doc, (span, framework, skill, Proposal) for the acceptance model.

        Ruler matches plus each semantic candidate's top-k skills. Features reuse the ranker's
        scores and cached phrase embeddings; the only new encoding is one per sentence.
        """
        res = self.resources
        for cache in (self._cos_cache, self._sentence_cos_cache):
            if len(cache) > COS_CACHE_SIZE:
                cache.clear()
        kept = [self._spans(doc) for doc in docs]
        candidates = [[sp for sp in self._semantic_candidates(spans)
                       if span_text(sp).lower() not in res.generic_labels] for spans in kept]
        phrases = list(dict.fromkeys(span_text(sp) for spans in candidates for sp in spans))
        ranked = {fw: self._ranked(fw, ranker, phrases)
                  for fw, ranker in res.rankers.items()} if phrases else {}
        phrase_vecs = self._phrase_vectors(phrases)
        ruler = [[sp for sp in spans
                  if sp.kb_id_ and "|" in sp.kb_id_
                  and sp.kb_id_.split("|", 1)[0] in res.indexes] for spans in kept]
        sentences = [self._sentences(doc, [*c, *r])
                     for doc, c, r in zip(docs, candidates, ruler, strict=True)]
        texts = list(dict.fromkeys(t for per_doc in sentences for t in per_doc.values()))
        sentence_vecs = self._sentence_vectors(texts)
        out = []
        adapted_of: dict[str, dict[str, np.ndarray]] = {}
        guesses_of: dict[str, list[tuple[float, str, str]]] = {}
        for spans, matches, sents in zip(candidates, ruler, sentences, strict=True):
            winners = {sp for sp, _ in self._best_non_overlapping(spans, ranked)}
            rows = []
            for span in matches:
                fw, skill_id = span.kb_id_.split("|", 1)
                sentence = sents[(span.start_char, span.end_char)]
                rows.append((span, fw, skill_id, self._proposal(
                    fw, skill_id, span_text(span), sentence, sentence_vecs[sentence], span.label_,
                    1.0, 0, 0.0, 1.0, None)))
            for span in spans:
                text = span_text(span)
                vec = phrase_vecs[text]
                adapted = adapted_of.get(text)
                if adapted is None:         # once per distinct phrase (same rows as before)
                    adapted = adapted_of[text] = {
                        fw: apply_adapter(vec[None, :], ranker.adapter)[0]
                        for fw, ranker in res.rankers.items()}
                guesses = guesses_of.get(text)
                if guesses is None:         # once per distinct phrase
                    guesses = guesses_of[text] = sorted(
                        ((score, fw, skill_id) for fw, by_phrase in ranked.items()
                         for skill_id, score in by_phrase[text]), key=_rank_order)[:self.top_k]
                sentence = sents[(span.start_char, span.end_char)]
                for rank, (score, fw, skill_id) in enumerate(guesses):
                    if score < acceptance_mod.MIN_SCORE:
                        break
                    nxt = guesses[rank + 1][0] if rank + 1 < len(guesses) else 0.0
                    rows.append((span, fw, skill_id, self._proposal(
                        fw, skill_id, text, sentence, sentence_vecs[sentence], "semantic",
                        score, rank, nxt, guesses[0][0], (vec, adapted[fw]),
                        winner=span in winners)))
            out.append(rows)
        return out

    def _phrase_vectors(self, phrases: list[str]) -> dict[str, np.ndarray]:
        """Embedding of each candidate phrase (cached by the encoder: ranking encoded them)."""
        vectors = self.resources.encoder.encode(phrases) if phrases else []
        return dict(zip(phrases, vectors, strict=True))

    def _sentence_vectors(self, sentences: list[str]) -> dict[str, np.ndarray]:
        """Embedding of each sentence holding a proposal (the `sentence_sim` feature's input;
        the only texts propose() encodes itself)."""
        vectors = self.resources.encoder.encode(sentences) if sentences else []
        return dict(zip(sentences, vectors, strict=True))

    @staticmethod
    def _sentences(doc: Doc, spans: list[Span]) -> dict[tuple[int, int], str]:
        """(start_char, end_char) of each span -> the text of the sentence holding it."""
        text = doc_text(doc)    # Doc.text joins every token: built once per doc
        bounds = acceptance_mod.sentence_bounds(text)
        starts = [s for s, _ in bounds]
        out = {}
        for span in spans:
            s, e = bounds[max(0, bisect.bisect_right(starts, span.start_char) - 1)]
            out[(span.start_char, span.end_char)] = text[s:max(e, span.end_char)].strip()
        return out

    def _proposal(self, fw: str, skill_id: str, span_text: str, sentence: str,
                  sentence_vec: np.ndarray, method: str, score: float, rank: int,
                  next_score: float, top_score: float,
                  span_vecs: tuple[np.ndarray, np.ndarray] | None, *,
                  winner: bool = True) -> acceptance_mod.Proposal:
        """span_vecs: (plain, adapted) span embedding; None for ruler matches (cosines 1)."""
        vectors, labels, prior, facts = self._skill_facts(fw, skill_id)
        raw_cos = adapter_cos = 1.0
        if span_vecs is not None:     # postings repeat (phrase, skill) pairs: cosines cached
            key = (fw, skill_id, span_text)
            cosines = self._cos_cache.get(key)
            if cosines is None:
                cosines = self._cos_cache[key] = (float((vectors @ span_vecs[0]).max()),
                                                  float(vectors[0] @ span_vecs[1]))
            raw_cos, adapter_cos = cosines
        key = (fw, skill_id, sentence)
        sentence_sim = self._sentence_cos_cache.get(key)
        if sentence_sim is None:
            sentence_sim = self._sentence_cos_cache[key] = float(vectors[0] @ sentence_vec)
        return acceptance_mod.Proposal(
            span_text, sentence, labels, method, float(score), rank,
            float(next_score), float(top_score), raw_cos, adapter_cos, sentence_sim, winner,
            prior, facts.essential_occupations, facts.optional_occupations, facts.reuse_level,
            facts.knowledge)

    def _skill_facts(self, fw: str, skill_id: str
                     ) -> tuple[np.ndarray, tuple[str, ...], int, SkillFacts]:
        """(label vectors, labels, training prior count, framework facts) of a skill, cached."""
        key = (fw, skill_id)
        facts = self._facts_cache.get(key)
        if facts is None:
            index = self.resources.indexes[fw]
            start, end = self._skill_rows(fw)[skill_id]
            labels = tuple(index.labels[start:end])
            prior = self.acceptance.prior_count(labels[0]) if self.acceptance else 0
            facts = self._facts_cache[key] = (index.vectors[start:end], labels, prior,
                                              index.facts.get(skill_id, NO_FACTS))
        return facts

    def _skill_rows(self, fw: str) -> dict[str, tuple[int, int]]:
        """skill_id -> (first, end) label rows of a framework's index (preferred row first)."""
        rows = self._rows_cache.get(fw)
        if rows is None:
            index = self.resources.indexes[fw]
            ends = [*index.skill_starts[1:].tolist(), len(index)]
            rows = {s: (int(a), int(b)) for s, a, b in
                    zip(index.skills, index.skill_starts.tolist(), ends, strict=True)}
            self._rows_cache[fw] = rows
        return rows

    def _ranked(self, fw: str, ranker: SkillRanker, phrases: list[str]) -> dict[str, list]:
        """Top-1 per phrase, cached: postings repeat the same phrases heavily."""
        cache = self._rank_cache.setdefault(fw, {})
        todo = [p for p in phrases if p not in cache]
        if todo:
            if len(cache) > RANK_CACHE_SIZE:
                cache.clear()
            cache.update(zip(todo, ranker.rank(todo, k=self.top_k), strict=True))
        return {p: cache[p] for p in phrases}

    @staticmethod
    def _best_non_overlapping(spans: list[Span], ranked: dict[str, dict]
                              ) -> list[tuple[Span, list[tuple[float, str, str]]]]:
        """Overlapping candidates compete: the best-scoring one is kept (greedy, by score)."""
        scored = []
        for span in spans:
            guesses = sorted(((top[0][1], fw, top[0][0]) for fw, by_phrase in ranked.items()
                              if (top := by_phrase[span_text(span)])), reverse=True)
            if guesses:
                scored.append((guesses[0][0], -len(span), span, guesses))
        taken: set[int] = set()     # token indices (spans are token-aligned: same as chars)
        kept = []
        for _, _, span, guesses in sorted(scored, key=lambda x: (-x[0], x[1], x[2].start)):
            tokens = range(span.start, span.end)
            if taken.isdisjoint(tokens):
                taken.update(tokens)
                kept.append((span, guesses))
        return sorted(kept, key=lambda x: x[0].start)

    def _spans(self, doc: Doc) -> list[Span]:
        """The doc's spans under span_keys, minus those touching boilerplate: `_store` would
        drop their skills anyway, so they are never encoded, ranked or scored."""
        skip = boilerplate.boilerplate_tokens(doc)
        return [sp for key in self.span_keys for sp in doc.spans.get(key, [])
                if not (skip and any(i in skip for i in range(sp.start, sp.end)))]

    @staticmethod
    def _semantic_candidates(spans: list[Span]) -> list[Span]:
        """The spans without a framework id (ruler matches have one), one per offset pair."""
        unique = {(sp.start_char, sp.end_char): sp for sp in spans if not sp.kb_id_}
        return [unique[k] for k in sorted(unique)]

    def _ruler_mentions(self, doc: Doc, spans: list[Span]) -> list[SkillMention]:
        out = []
        for span in spans:
            if span.kb_id_ and "|" in span.kb_id_:
                fw, skill_id = span.kb_id_.split("|", 1)
                if fw in self.resources.indexes:
                    conf = self.confidence.get(span.label_, self.confidence["alt_label"])
                    out.append(self._mention(doc, span, fw, skill_id, conf, span.label_))
        return out

    def _mention(self, doc: Doc, span: Span, fw: str, skill_id: str, confidence: float,
                 method: str) -> SkillMention:
        label = self.resources.indexes[fw].preferred.get(skill_id, skill_id)
        return SkillMention(fw, skill_id, label, span_text(span),
                            span.start_char, span.end_char,
                            round(min(1.0, max(0.0, float(confidence))), 4), method)


def _rank_order(guess: tuple[float, str, str]) -> tuple[float, str, str]:
    """Best score first; scores equal to 1e-6 (two skills sharing a label, whose fp32 cosines
    differ by rounding that depends on the encoder batch) are ordered by framework and id."""
    score, fw, skill_id = guess
    return -round(score, 6), fw, skill_id


def _store(doc: Doc, mentions: list[SkillMention], unlinked: list[UnlinkedPhrase]) -> None:
    """Set doc._.skills and doc._.unlinked, dropping whatever sits in boilerplate (the linker
    already skips spans touching it, `SkillLinker._spans`; this keeps the output rule in one
    place when that skip is off, as in benchmarks/boilerplate_skip.py)."""
    blocked = [(sp.start_char, sp.end_char, sp.label_)
               for sp in doc.spans.get(boilerplate.SPAN_KEY, [])]
    if blocked:
        mentions = [m for m in mentions
                    if not boilerplate.inside_boilerplate(blocked, m.start, m.end)]
        unlinked = [u for u in unlinked
                    if not boilerplate.inside_boilerplate(blocked, u.start, u.end)]
    doc._.skills = dedupe(mentions)
    doc._.unlinked = sorted(unlinked, key=lambda u: (u.start, u.end))


def dedupe(mentions: list[SkillMention]) -> list[SkillMention]:
    """One mention per (framework, skill): the most confident, earliest on ties; text order."""
    best: dict[tuple[str, str], SkillMention] = {}
    for m in sorted(mentions, key=lambda m: (m.start, m.end)):
        key = (m.framework_id, m.skill_id)
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    return sorted(best.values(), key=lambda m: (m.start, m.end, m.framework_id))


@Language.factory("lmi_skill_linker", default_config={
    "resources": "", "span_keys": [RULER_KEY, PHRASE_KEY], "threshold": 0.70,
    "single_word_threshold": 0.9, "unlinked_floor": 0.6, "exact_confidence": 0.95,
    "alt_confidence": 0.9, "acceptance": ACCEPTANCE_DEFAULT, "acceptance_model": "",
    "acceptance_threshold": -1.0})
def make_skill_linker(nlp: Language, name: str, resources: str, span_keys: list[str],
                      threshold: float, single_word_threshold: float, unlinked_floor: float,
                      exact_confidence: float, alt_confidence: float, acceptance: bool,
                      acceptance_model: str, acceptance_threshold: float) -> SkillLinker:
    """Link ruler spans directly and other candidates by embedding similarity.

    A one-word candidate ("clients", "risk") needs single_word_threshold (never below threshold):
    lone words are similar to many labels. Unlinked phrases are kept from unlinked_floor up.

    acceptance (default on; LMI_LINK_ACCEPTANCE=0 turns it off): the learned acceptance model
    (acceptance_model folder, default models/linker_acceptance) scores each ruler match and the
    ranker's top-k skills per span; proposals with p >= acceptance_threshold (default: the
    model's tau) are asserted with confidence p. A non-default `threshold` without an
    acceptance_threshold selects the score-threshold linker above, and so does a framework the
    model was not trained for (it is trained on ESCO-labelled data; see its model card).
    """
    return SkillLinker(name, resources, span_keys, threshold, single_word_threshold,
                       unlinked_floor, exact_confidence, alt_confidence, acceptance,
                       acceptance_model, acceptance_threshold)
