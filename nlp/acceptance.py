"""Learned acceptance of (span, skill) candidates: cheap features -> p(skill is really meant).

The linker proposes, for every candidate span, the ranker's top-k skills (plus the ruler's label
matches). `candidate_features` turns one proposal into a feature vector using only what the
ranker already produced (scores, the span's cached embedding, the skill's label embeddings) and
one embedding of the span's sentence; `AcceptanceModel` (small gradient-boosted trees stored as
JSON in models/linker_acceptance/) maps the features to p; the linker asserts p >= tau.
Training: `lmi train linker` (lmi.cli.cmd_train_linker); see docs/linking.md.
"""

from __future__ import annotations

import copy
import json
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from lmi.config import MODELS_DIR

MODEL_DIR = MODELS_DIR / "linker_acceptance"
MODEL_FILE = "model.json"
TOP_K = 5
TRAINED_FRAMEWORKS = ("esco",)  # the training data (ESCO-linking, SkillSkape) is labelled in ESCO
MIN_SCORE = 0.45   # semantic proposals below this ranker score are not considered (p ~ 0)
_WORD = re.compile(r"[a-z0-9#+]+")
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?;])\s+")
_REQUIREMENT = re.compile(
    r"\b(experience|experienced|knowledge|skill|skills|proficien\w*|familiar\w*|abilit\w*|able to"
    r"|understanding|expertise|degree|certif\w*|background in|required|requirements?|must)\b",
    re.I)
_STOP = frozenset(
    "a an and or of the to in on for with by at from as is are be your our you we this that "
    "their its it into using use etc e g i".split())
_SUFFIXES = ("ations", "ation", "ings", "ing", "ments", "ment", "ies", "ers", "er", "es", "ed",
             "s", "e", "y")

# early_stopping off: scikit-learn's "auto" holds out a random 10% of the rows for validation
# once there are more than 10,000 (ours: about 17,000), so the trees saw 90% of the data and
# depended on the seed; all rows, fixed 150 trees, is deterministic and no worse (docs/linking.md)
GBT_PARAMS = {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 8,
              "min_samples_leaf": 20, "l2_regularization": 1.0, "early_stopping": False}
FEATURES = (
    "score", "inv_rank", "margin_next", "gap_top", "raw_cos", "adapter_cos", "sentence_sim",
    "lex_jaccard", "lex_label_in_span", "lex_label_in_sentence", "lex_span_in_label",
    "span_tokens", "label_tokens", "single_word", "exact", "alt_label", "semantic", "winner",
    "requirement_sentence", "list_sentence", "log_prior", "seen_prior",
    "score_x_lex", "score_sq",
    "log_essential_occupations", "log_optional_occupations", "reuse_level", "knowledge",
)
# the label-prior columns; the unseen-skill trees are trained and applied with these zeroed
LABEL_PRIOR_FEATURES = (FEATURES.index("log_prior"), FEATURES.index("seen_prior"))
# the framework-fact columns; the main trees are trained with these zeroed (so never split on
# them): on the dev sets they cost recall there, while the unseen trees need them
FACT_FEATURES = tuple(FEATURES.index(f) for f in (
    "log_essential_occupations", "log_optional_occupations", "reuse_level", "knowledge"))


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A crude suffix stripper (two passes): 'managing', 'manage', 'management' -> 'manag'.

    Cached: labels and postings repeat the same words."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word


@lru_cache(maxsize=100_000)
def stems(text: str) -> frozenset[str]:
    """Stemmed content words of a text, lower-cased, stop words dropped (cached)."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences/lines of a text (split at newlines and . ! ? ;)."""
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            bounds.append((start, m.start()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds or [(0, len(text))]


@dataclass(slots=True)
class Proposal:
    """One (span, skill) pair the linker considers, with what the ranker already knows.

    Not frozen: a cold pass makes ~50,000 of them, and a frozen dataclass's __init__ sets
    each field through object.__setattr__, several times slower. Treat it as a value; derive
    with replace().
    """

    span: str
    sentence: str
    labels: tuple[str, ...]      # the skill's labels, preferred first
    method: str                  # exact | alt_label | semantic
    score: float                 # ranker score (1.0 for ruler matches)
    rank: int = 0                # 0 = the span's top skill
    next_score: float = 0.0      # score of the next-ranked skill (0 if none)
    top_score: float = 1.0       # score of the span's top skill
    raw_cos: float = 1.0         # max cosine span vs the skill's labels (plain embedding)
    adapter_cos: float = 1.0     # cosine adapter(span) vs the preferred label
    sentence_sim: float = 0.0    # cosine sentence vs the preferred label
    winner: bool = True          # span wins the greedy non-overlap selection
    prior_count: int = 0         # times the skill is a gold label in the training data
    essential_occupations: int = 0   # the framework's own facts (embeddings.SkillFacts)
    optional_occupations: int = 0
    reuse_level: int = -1
    knowledge: bool = False
    start: int = -1              # the span's character offsets in its doc (-1: unknown)
    end: int = -1


@lru_cache(maxsize=20_000)
def _label_stems(labels: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    return tuple(stems(label) for label in labels) or (frozenset(),)


@lru_cache(maxsize=200_000)
def _span_vs_labels(span: str, labels: tuple[str, ...]) -> tuple[float, float, float]:
    """(best Jaccard, best share of label words in the span, best share of span words in a
    label) over the skill's labels; cached because postings repeat spans and skills."""
    span_stems = stems(span)
    label_stems = _label_stems(labels)
    jaccard = max((len(span_stems & ls) / len(span_stems | ls) if span_stems | ls else 0.0)
                  for ls in label_stems)
    in_span = max((len(ls & span_stems) / len(ls) if ls else 0.0) for ls in label_stems)
    span_in_label = max((len(span_stems & ls) / len(span_stems) if span_stems else 0.0)
                        for ls in label_stems)
    return jaccard, in_span, span_in_label


@lru_cache(maxsize=200_000)
def _sentence_vs_labels(sentence: str, labels: tuple[str, ...]) -> float:
    """Best share of a label's words found in the sentence."""
    sentence_stems = stems(sentence)
    return max((len(ls & sentence_stems) / len(ls) if ls else 0.0)
               for ls in _label_stems(labels))


@lru_cache(maxsize=50_000)
def _sentence_cues(sentence: str) -> tuple[float, float]:
    """(requirement cue present, list separators / 6 capped at 1)."""
    separators = sentence.count(",") + sentence.count("/") + sentence.count("|")
    return float(bool(_REQUIREMENT.search(sentence))), min(separators, 6) / 6


@lru_cache(maxsize=50_000)
def _word_count(text: str) -> int:
    return len(_WORD.findall(text.lower()))


def clear_caches() -> None:
    """Forget the cached text features (benchmarks use it to time a cold start)."""
    for cached in (stem, stems, _label_stems, _span_vs_labels, _sentence_vs_labels, _sentence_cues,
                   _word_count, _text_features):
        cached.cache_clear()


@lru_cache(maxsize=200_000)
def _text_features(span: str, sentence: str, labels: tuple[str, ...]) -> tuple:
    """The text-only features of a (span, sentence, skill) triple, cached as a whole."""
    preferred = labels[0] if labels else ""
    return (*_span_vs_labels(span, labels), _sentence_vs_labels(sentence, labels),
            _word_count(span), _word_count(preferred), *_sentence_cues(sentence))


def candidate_features(p: Proposal, prior_total: int = 0) -> list[float]:
    """The feature vector of one proposal, in FEATURES order (a row of feature_matrix)."""
    return feature_matrix([p], prior_total)[0].tolist()


def feature_matrix(proposals: Sequence[Proposal], prior_total: int = 0) -> np.ndarray:
    """(len(proposals), len(FEATURES)) float64, one row per proposal in FEATURES order.

    Built column-wise (one tuple per proposal, arithmetic in numpy, logarithms through `math`
    once per distinct count): the values of the per-proposal code the shipped trees were
    trained with, bit for bit (tests/test_acceptance.py), at a fraction of its Python cost.
    Cosines are clamped at 1: fp32 rounding gives 1.0000001 for a span equal to a label, by an
    amount that depends on the encoder batch, and trees split at 1.0 would then flip.
    """
    if not proposals:
        return np.zeros((0, len(FEATURES)))
    text = np.array([_text_features(p.span, p.sentence, p.labels) for p in proposals],
                    dtype=np.float64)
    jaccard, in_span, span_in_label, in_sentence, span_tokens, label_tokens, requirement, \
        separators = text.T
    num = np.array([(p.score, p.rank, p.next_score, p.top_score, p.raw_cos, p.adapter_cos,
                     p.sentence_sim, p.method == "exact", p.method == "alt_label",
                     p.method == "semantic", p.winner, p.prior_count, p.essential_occupations,
                     p.optional_occupations, p.reuse_level, p.knowledge) for p in proposals],
                   dtype=np.float64)
    score, rank, next_score, top_score = num[:, 0], num[:, 1], num[:, 2], num[:, 3]
    counts = num[:, 11:14].astype(np.int64)
    prior = _mapped(counts[:, 0], (lambda c: math.log((c + 0.5) / (prior_total + 1.0)))
                    if prior_total else (lambda c: 0.0))
    return np.column_stack([
        score, 1.0 / (rank + 1), score - next_score, top_score - score,
        np.minimum(num[:, 4:7], 1.0), jaccard, in_span, in_sentence, span_in_label,
        np.minimum(span_tokens, 8) / 8, np.minimum(label_tokens, 8) / 8,
        (span_tokens == 1).astype(np.float64), num[:, 7:11], requirement, separators, prior,
        (counts[:, 0] > 0).astype(np.float64), score * in_span, score * score,
        _mapped(counts[:, 1], math.log1p), _mapped(counts[:, 2], math.log1p), num[:, 14:16],
    ])


def _mapped(values: np.ndarray, fn) -> np.ndarray:
    """fn (a Python float function) of each value, computed once per distinct value."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.array([fn(int(v)) for v in distinct], dtype=np.float64)[inverse]


@dataclass
class Tree:
    """One regression tree of the boosted ensemble: go left iff x[feature] <= threshold."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray

    def predict(self, X: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """Leaf value per row. columns: X.T as a contiguous array (pass it for many trees)."""
        inner = np.flatnonzero(~self.leaf)
        if not (np.all(self.left[inner] > inner) and np.all(self.right[inner] > inner)):
            return self._predict_levels(X)
        cols = np.ascontiguousarray(X.T) if columns is None else columns
        node = np.zeros(len(X), dtype=np.int64)
        for j in inner:         # parents before children: each row moves down once per level
            go_left = cols[self.feature[j]] <= self.threshold[j]
            node = np.where(node == j, np.where(go_left, self.left[j], self.right[j]), node)
        return self.value[node]

    def _predict_levels(self, X: np.ndarray) -> np.ndarray:
        """Any node order: every row takes one step per round."""
        node = np.zeros(len(X), dtype=np.int64)
        rows = np.arange(len(X))
        for _ in range(len(self.leaf)):
            inner = ~self.leaf[node]
            if not inner.any():
                break
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return self.value[node]

    def to_json(self) -> dict:
        return {"feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
                "left": self.left.tolist(), "right": self.right.tolist(),
                "leaf": self.leaf.astype(int).tolist(), "value": self.value.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> Tree:
        return cls(np.array(data["feature"], np.int64), np.array(data["threshold"]),
                   np.array(data["left"], np.int64), np.array(data["right"], np.int64),
                   np.array(data["leaf"], bool), np.array(data["value"]))


def _boosted(trees: Sequence[Tree], baseline: float, X: np.ndarray) -> np.ndarray:
    """sigmoid(baseline + sum of the trees' leaf values) per row."""
    z = np.full(len(X), baseline)
    columns = np.ascontiguousarray(X.T)
    for tree in trees:
        z += tree.predict(X, columns)
    return 1.0 / (1.0 + np.exp(-z))


def without_label_prior(X: np.ndarray) -> np.ndarray:
    """A copy of a feature matrix with the label-prior columns zeroed (unseen-skill trees)."""
    return _zeroed(X, LABEL_PRIOR_FEATURES)


def without_facts(X: np.ndarray) -> np.ndarray:
    """A copy of a feature matrix with the framework-fact columns zeroed (main trees)."""
    return _zeroed(X, FACT_FEATURES)


# every field a proposal's features are computed from (all but its offsets), as one tuple
_feature_key = operator.attrgetter(*(f.name for f in fields(Proposal)
                                     if f.name not in ("start", "end")))


def seen_mask(proposals: Sequence[Proposal]) -> np.ndarray:
    """Per proposal: is its skill inside the label prior (scored by the main trees)?"""
    return np.array([p.prior_count > 0 for p in proposals], dtype=bool)


def _zeroed(X: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    X = np.array(X, dtype=np.float64, copy=True)
    X[:, list(columns)] = 0.0
    return X


def one_skill_per_span(items: Sequence[tuple[int, int, str, str, float]]) -> list[bool]:
    """Which accepted (start, end, framework, skill, p) items to keep when overlapping spans
    compete: most probable first, an item is dropped when a kept item of the same framework
    with another skill overlaps it. One phrase then asserts one skill ("business analysis" ->
    *business analysis*, not also *perform business analysis*)."""
    keep = [False] * len(items)
    kept: list[tuple[int, int, str, str]] = []
    for i in sorted(range(len(items)), key=lambda i: -items[i][4]):
        start, end, fw, skill, _ = items[i]
        if not any(f == fw and k != skill and s < end and start < e for s, e, f, k in kept):
            keep[i] = True
            kept.append((start, end, fw, skill))
    return keep


@dataclass
class AcceptanceModel:
    """Gradient-boosted trees over FEATURES (plain JSON, no pickle) plus the label prior table."""

    features: list[str]
    baseline: float
    trees: list[Tree]
    tau: float                       # default acceptance threshold on p
    top_k: int = TOP_K
    prior: dict[str, int] | None = None   # lower(preferred label) -> gold count in training
    prior_total: int = 0
    info: dict | None = None
    # frameworks the trees and the prior were trained for; others keep the score threshold
    frameworks: tuple[str, ...] = TRAINED_FRAMEWORKS
    # overlapping spans assert one skill (the most probable), see one_skill_per_span
    one_per_span: bool = False
    # skills outside the label prior: trees fitted without the label-prior features, and the
    # stricter bar they must pass (the label prior would otherwise veto every unseen skill)
    unseen_trees: list[Tree] | None = None
    unseen_baseline: float = 0.0
    unseen_tau: float = 1.0

    def applies_to(self, framework_ids: Sequence[str]) -> bool:
        """True if every framework was seen in training (the prior is keyed by its labels)."""
        return bool(framework_ids) and all(fw in self.frameworks for fw in framework_ids)

    def prior_count(self, preferred_label: str) -> int:
        """Training gold count of a skill, by preferred label (0 if unseen)."""
        return (self.prior or {}).get(preferred_label.lower(), 0)

    def predict(self, X: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
        """p(accept) per row of a feature matrix. With `seen` (bool per row: the skill is in the
        label prior) and unseen trees, the other rows are scored by the unseen trees."""
        if not len(X):
            return np.zeros(0)
        p = _boosted(self.trees, self.baseline, X)
        if seen is not None and self.unseen_trees is not None and not seen.all():
            rows = np.flatnonzero(~seen)
            p[rows] = _boosted(self.unseen_trees, self.unseen_baseline,
                               without_label_prior(X[rows]))
        return p

    def bars(self, seen: np.ndarray, tau: float | None = None) -> np.ndarray:
        """The p each row must reach: tau, or for unseen skills max(tau, unseen_tau)."""
        tau = self.tau if tau is None else tau
        if self.unseen_trees is None:
            return np.full(len(seen), tau)
        return np.where(seen, tau, max(tau, self.unseen_tau))

    def score(self, proposals: Sequence[Proposal]) -> np.ndarray:
        """p(accept) per proposal.

        Features and trees run once per distinct proposal (its fields but the offsets):
        postings repeat (sentence, span, skill) triples, about 58% of a cold pass's rows.
        """
        position: dict[tuple, int] = {}     # key -> index among distinct, in first-seen order
        inverse = np.fromiter((position.setdefault(_feature_key(p), len(position))
                               for p in proposals), np.int64, len(proposals))
        _, first = np.unique(inverse, return_index=True)
        distinct = [proposals[i] for i in first]
        p = self.predict(feature_matrix(distinct, self.prior_total), seen_mask(distinct))
        return p[inverse]

    def attach_unseen(self, other: AcceptanceModel, unseen_tau: float) -> None:
        """Use other's trees (fitted on without_label_prior features) for unseen skills."""
        self.unseen_trees, self.unseen_baseline = other.trees, other.baseline
        self.unseen_tau = unseen_tau

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, tau: float = 0.5, seed: int = 0,
            prior: dict[str, int] | None = None, top_k: int = TOP_K,
            info: dict | None = None, sample_weight: np.ndarray | None = None,
            **params: float) -> AcceptanceModel:
        """Fit scikit-learn's HistGradientBoostingClassifier (small, shallow trees) and keep its
        trees. params override GBT_PARAMS."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        clf = HistGradientBoostingClassifier(**{**GBT_PARAMS, **params}, random_state=seed)
        clf.fit(X, y, sample_weight=sample_weight)
        trees = [Tree(n["feature_idx"].astype(np.int64), n["num_threshold"].astype(np.float64),
                      n["left"].astype(np.int64), n["right"].astype(np.int64),
                      n["is_leaf"].astype(bool), n["value"].astype(np.float64))
                 for (predictor,) in clf._predictors for n in [predictor.nodes]]
        model = cls(list(FEATURES), float(np.ravel(clf._baseline_prediction)[0]), trees, tau,
                    top_k, prior or {}, sum((prior or {}).values()), info or {})
        if len(X) and not np.allclose(model.predict(X[:200]), clf.predict_proba(X[:200])[:, 1]):
            raise RuntimeError("exported trees disagree with scikit-learn")
        return model

    def save(self, folder: Path) -> Path:
        """Write model.json into folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        data = {"features": self.features, "tau": self.tau, "top_k": self.top_k,
                "baseline": self.baseline, "info": self.info or {},
                "prior_total": self.prior_total, "frameworks": list(self.frameworks),
                "one_per_span": self.one_per_span,
                "prior": dict(sorted((self.prior or {}).items())),
                "trees": [t.to_json() for t in self.trees]}
        if self.unseen_trees is not None:
            data["unseen"] = {"baseline": self.unseen_baseline, "tau": self.unseen_tau,
                              "trees": [t.to_json() for t in self.unseen_trees]}
        path = folder / MODEL_FILE
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path | str | None = None) -> AcceptanceModel | None:
        """The model in folder (default: the packaged one), or None if there is none. Parsed
        once per file version (the extractor and its linker both ask); each call gets its own
        shallow copy, so setting an attribute on one does not change the others."""
        path = Path(folder or MODEL_DIR) / MODEL_FILE
        if not path.exists():
            return None
        stat = path.stat()
        return copy.copy(_load_file(cls, str(path.resolve()), stat.st_mtime_ns, stat.st_size))

    @classmethod
    def _from_file(cls, path: Path) -> AcceptanceModel:
        """Parse model.json (raises ValueError for a file trained on other features)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"{path} was trained for other features; retrain it")
        unseen = data.get("unseen")
        return cls(data["features"], float(data["baseline"]),
                   [Tree.from_json(t) for t in data["trees"]], float(data["tau"]),
                   int(data.get("top_k", TOP_K)), data.get("prior") or {},
                   int(data.get("prior_total", 0)), data.get("info") or {},
                   tuple(data.get("frameworks", TRAINED_FRAMEWORKS)),
                   bool(data.get("one_per_span", False)),
                   [Tree.from_json(t) for t in unseen["trees"]] if unseen else None,
                   float(unseen["baseline"]) if unseen else 0.0,
                   float(unseen["tau"]) if unseen else 1.0)


@lru_cache(maxsize=8)
def _load_file(cls: type[AcceptanceModel], path: str, mtime_ns: int, size: int
               ) -> AcceptanceModel:
    """AcceptanceModel._from_file, cached by file version (path, mtime, size)."""
    return cls._from_file(Path(path))
