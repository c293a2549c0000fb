"""Rank a framework's skills for free-text phrases: max cosine over each skill's labels.

v2 (see docs/linking.md): queries can go through a small trained residual adapter
(models/linker_adapter/adapter.npz, `lmi.nlp.linking_train`) before scoring; a span's score can
be mixed with its sentence's score (`context_weight`); raw scores map to calibrated confidence
with an isotonic table fitted on dev decisions (`confidence`), and `DEFAULT_THRESHOLD` is the
confidence the extractor should require to assert a skill.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lmi.config import MODELS_DIR
from lmi.nlp.embeddings import Encoder, LabelIndex, get_encoder

QUERY_CHUNK = 256
FAST_K = 10                      # rank(k <= FAST_K) in sentence mode takes the pruned exact path
PRUNED = os.environ.get("LMI_RANK_PRUNED", "1") != "0"   # 0: always score every label (checks)
GRAM_TOP_LABELS = 64             # best labels kept per scored sub-phrase (pruned path)
MAX_CACHED_GRAMS = 200_000       # sub-phrases kept with their best labels
FULL_SCAN_SKILLS = 300           # bounded-only skills above which a text's hot grams scan all
# bf16 screening of a gram against all labels: inputs rounded to bfloat16 (relative error
# 2^-9 each) and the product rounded to bfloat16 (2^-9 absolute for |x| <= 1) move a cosine of
# unit vectors by at most 2 * 2^-9 + 2^-9 < 0.006; the bound adds this margin, so it holds.
SCREEN_MARGIN = 0.008
MODEL_DIR = MODELS_DIR / "linker_adapter"
# Raw score (of `load_ranker`) a linked span needs to be asserted: the knee of the dev
# precision/recall table in docs/linking.md (span P .54/.61, R .46/.49 on tech/house dev);
# `confidence(DEFAULT_THRESHOLD)` is the matching calibrated confidence (~0.4).
DEFAULT_THRESHOLD = 0.70
CONTEXT_WEIGHT = 0.0             # weight of the sentence when ranking a span with a context
SUBPHRASE_MIN_TOKENS = 2         # in sentence mode, texts this long get sub-phrase fusion
SUBPHRASE_MAX_N = 4              # longest sub-phrase (tokens)
SUBPHRASE_WEIGHT = 0.5           # weight of the best sub-phrase score for sentence-length texts
_TOKEN = re.compile(r"[\w#+./-]+")


# Function words a sub-phrase may not start or end with ("of the", "with your", "and"): such
# windows rarely name a skill better than the window inside them, and they were 23% of the
# texts to encode on real postings (docs/speed.md). Words that open ESCO labels ("be", "do",
# "have", "well", "able", "it" as in IT, "can", "like") are not in the list.
FUNCTION_WORDS = frozenset("""
a an the of in on at to for with by from into onto about as per via within across over under
through between among including than and or but nor so yet if while whereas because although
i you he she we they me him her us them my your his its our their this that these those who
whom which what whose is are was were been being am will would could should may might must
shall does did has had not no all any each every some such other more most very also etc e.g
i.e plus
""".split())
_LETTER = re.compile(r"[^\W\d_]")


def _edge_ok(token: str) -> bool:
    return token.lower() not in FUNCTION_WORDS and _LETTER.search(token) is not None


def subphrases(text: str, max_n: int = SUBPHRASE_MAX_N) -> list[str]:
    """Distinct 1..max_n-token windows of a text (tokens: words, C#, node.js, CI/CD).

    A window must start and end with a token that has a letter and is not a function word;
    if no window qualifies, all windows are kept.
    """
    tokens = _TOKEN.findall(text)
    ok = [_edge_ok(t) for t in tokens]
    windows = [(i, n) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)]
    kept = [(i, n) for i, n in windows if ok[i] and ok[i + n - 1]] or windows
    return sorted({" ".join(tokens[i:i + n]) for i, n in kept})


def load_adapter(model_dir: Path = MODEL_DIR) -> tuple[np.ndarray, np.ndarray] | None:
    """(W, b) of the trained query adapter, or None if it is not packaged."""
    path = Path(model_dir) / "adapter.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return data["W"].astype(np.float32), data["b"].astype(np.float32)


def apply_adapter(vectors: np.ndarray, adapter: tuple[np.ndarray, np.ndarray] | None
                  ) -> np.ndarray:
    """normalise(v + v W + b) row-wise; identity without an adapter."""
    if adapter is None or not len(vectors):
        return vectors
    W, b = adapter
    out = vectors + vectors @ W + b
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


class Calibrator:
    """Monotone map raw score -> P(correct), a piecewise-linear isotonic table."""

    def __init__(self, x: Sequence[float], y: Sequence[float]) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)

    def __call__(self, scores: np.ndarray | float) -> np.ndarray | float:
        out = np.interp(scores, self.x, self.y)
        return float(out) if np.isscalar(scores) else out

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> Calibrator | None:
        path = Path(model_dir) / "calibration.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["x"], data["y"])


class SkillRanker:
    """Top-k skills per phrase: score = max cosine between the phrase and any of the skill's labels.

    preferred_only=True scores preferred labels only (the published baseline).
    sentence_mode=True ranks texts of >= SUBPHRASE_MIN_TOKENS tokens as sentences:
    (1 - SUBPHRASE_WEIGHT) * whole-text score (preferred labels, through the adapter if any)
    + SUBPHRASE_WEIGHT * best score of any 1-4-token sub-phrase (all labels). Shorter texts
    (spans) are scored on all labels directly. With contexts and context_weight > 0, a span's
    score is (1 - w) * span score + w * its context's score, per skill.
    """

    def __init__(self, index: LabelIndex, encoder: Encoder, *, preferred_only: bool = False,
                 adapter: tuple[np.ndarray, np.ndarray] | None = None,
                 context_weight: float = 0.0, sentence_mode: bool = False,
                 screen_bf16: bool | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.preferred_only = preferred_only
        self.adapter = adapter
        self.context_weight = context_weight
        self.sentence_mode = sentence_mode
        self._label_vectors = index.vectors
        self._preferred_vectors = index.vectors
        if len(index):
            self._preferred_vectors = np.where(index.is_preferred[:, None], index.vectors, -1.0)
        if preferred_only:
            self._label_vectors = self._preferred_vectors
        self._skill_of_label = np.zeros(0, np.int64)
        self._gram_cache: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        # pruned path: find each gram's best labels with a bfloat16 product (3x faster where
        # the CPU has bf16), then score those labels exactly; default: when the encoder is bf16
        if screen_bf16 is None:
            screen_bf16 = getattr(encoder, "precision", "fp32") == "bf16"
        self.screen_bf16 = screen_bf16
        self._label_bf16 = None
        if len(index):
            counts = np.diff(np.append(index.skill_starts, len(index)))
            self._skill_of_label = np.repeat(np.arange(len(counts)), counts)
            self._skill_ends = index.skill_starts + counts
            pref_rows = np.flatnonzero(index.is_preferred)
            self._pref_skill = self._skill_of_label[pref_rows]
            self._pref_matrix = np.ascontiguousarray(index.vectors[pref_rows])
            # skills with a non-preferred row: skill_scores(preferred=True) scores such rows as
            # an all -1 vector (q . -1 = -sum(q)); the pruned path reproduces that exactly
            self._has_alt = np.bincount(self._skill_of_label[~index.is_preferred],
                                        minlength=len(counts)) > 0
            self._pref_is_every_skill = np.array_equal(self._pref_skill, np.arange(len(counts)))

    def skill_scores(self, texts: Sequence[str], *, preferred: bool = False,
                     adapter: bool = False) -> np.ndarray:
        """(len(texts), n_skills) max-cosine scores in the index's skill order."""
        queries = self.encoder.encode(list(texts))
        if adapter:
            queries = apply_adapter(queries, self.adapter)
        labels = self._preferred_vectors if preferred else self._label_vectors
        parts = [np.zeros((0, len(self.index.skills)), np.float32)]
        for start in range(0, len(queries), QUERY_CHUNK):
            sims = queries[start:start + QUERY_CHUNK] @ labels.T
            parts.append(np.maximum.reduceat(sims, self.index.skill_starts, axis=1))
        return np.vstack(parts)

    def text_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Scores per text: sentence fusion for long texts (sentence_mode), plain otherwise."""
        texts = list(texts)
        out = self.skill_scores(texts, adapter=self.adapter is not None
                                and not self.sentence_mode)
        if not self.sentence_mode:
            return out
        long = [i for i, t in enumerate(texts) if len(_TOKEN.findall(t)) >= SUBPHRASE_MIN_TOKENS]
        if not long:
            return out
        whole = self.skill_scores([texts[i] for i in long], preferred=True,
                                  adapter=self.adapter is not None)
        w = SUBPHRASE_WEIGHT
        for row, i in enumerate(long):
            grams = subphrases(texts[i])
            best = self.skill_scores(grams).max(axis=0) if grams else whole[row]
            out[i] = (1 - w) * whole[row] + w * best
        return out

    def clear_caches(self) -> None:
        """Forget the sub-phrases scored so far (label vectors stay)."""
        self._gram_cache.clear()

    def rank(self, texts: Sequence[str], k: int = 10,
             contexts: Sequence[str | None] | None = None) -> list[list[tuple[str, float]]]:
        """Per text, the top-k (skill_id, raw score in [0, 1]), best first."""
        texts = list(texts)
        if not texts:
            return []
        if len(self.index) == 0:
            return [[] for _ in texts]
        k = max(1, min(k, len(self.index.skills)))
        if (PRUNED and self.sentence_mode and not self.preferred_only and k <= FAST_K
                and (contexts is None or self.context_weight <= 0)):
            return self._rank_pruned(texts, k)
        results: list[list[tuple[str, float]]] = []
        for start in range(0, len(texts), QUERY_CHUNK):
            chunk = texts[start:start + QUERY_CHUNK]
            per_skill = self.text_scores(chunk)
            if contexts is not None and self.context_weight > 0:
                ctx = list(contexts[start:start + QUERY_CHUNK])
                have = [i for i, c in enumerate(ctx) if c]
                if have:
                    w = self.context_weight
                    ctx_scores = self.skill_scores([ctx[i] for i in have],
                                                   adapter=self.adapter is not None)
                    per_skill[have] = (1 - w) * per_skill[have] + w * ctx_scores
            results.extend(_top_k(per_skill, k, self.index.skills))
        return results

    # ---------------------------------------------------------- pruned exact path (sentence mode)
    # Same scores as text_scores() + _top_k(), without a (texts x all labels) product per text:
    # each distinct sub-phrase is scored against all labels once (cached: postings repeat them)
    # and keeps its GRAM_TOP_LABELS best labels; a text's fused score is then computed exactly
    # for the skills those lists and its whole-text scores nominate, and every other skill is
    # bounded from above (docs/speed.md). tests/test_search_index.py checks exact agreement.

    def _rank_pruned(self, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
        grams_of = [subphrases(t) if len(_TOKEN.findall(t)) >= SUBPHRASE_MIN_TOKENS else None
                    for t in texts]
        needed = {g for grams in grams_of if grams for g in grams}
        needed.update(t for t, grams in zip(texts, grams_of, strict=True) if grams is None)
        long = [i for i, grams in enumerate(grams_of) if grams is not None]
        self.encoder.encode(sorted(needed.union(texts[i] for i in long)))   # one batched pass
        self._score_grams(sorted(needed))
        whole = self._whole_scores([texts[i] for i in long]) if long else None
        results: list[list[tuple[str, float]]] = [[] for _ in texts]
        with threadpool_limits(limits=1, user_api="blas"):   # tiny products: threads only wait
            for row, i in enumerate(long):
                results[i] = self._fused_top(grams_of[i], whole[row], k)
        for i, grams in enumerate(grams_of):
            if grams is None:
                results[i] = self._short_top(texts[i], k)
        return results

    def _score_grams(self, grams: list[str]) -> None:
        """Cache each new gram's best labels as (distinct skills, their scores, bound on rest)."""
        import torch

        todo = [g for g in grams if g not in self._gram_cache]
        if not todo:
            return
        if len(self._gram_cache) + len(todo) > MAX_CACHED_GRAMS:
            self._gram_cache.clear()
        vectors = self.encoder.encode(todo)
        m = min(GRAM_TOP_LABELS, len(self.index))
        everything = m == len(self.index)
        for start in range(0, len(todo), QUERY_CHUNK):
            chunk = vectors[start:start + QUERY_CHUNK]
            if self.screen_bf16:
                if self._label_bf16 is None:
                    self._label_bf16 = torch.from_numpy(self._label_vectors).bfloat16()
                sims = torch.from_numpy(chunk).bfloat16() @ self._label_bf16.T
                screened, top = torch.topk(sims, m, dim=1, sorted=True)
                top = top.numpy()
                bounds = screened[:, -1].float().numpy() + SCREEN_MARGIN
                # exact scores of the screened labels, best first
                top_scores = np.einsum("gd,gmd->gm", chunk, self._label_vectors[top])
                order = np.argsort(-top_scores, axis=1, kind="stable")
                top = np.take_along_axis(top, order, axis=1)
                top_scores = np.take_along_axis(top_scores, order, axis=1)
            else:
                sims = torch.from_numpy(chunk @ self._label_vectors.T)
                top_scores, top = (t.numpy() for t in torch.topk(sims, m, dim=1, sorted=True))
                bounds = top_scores[:, -1]
            for gram, rows, scores, bound in zip(todo[start:start + QUERY_CHUNK], top,
                                                 top_scores, bounds, strict=True):
                _, first = np.unique(self._skill_of_label[rows], return_index=True)
                first.sort()        # first occurrence = each skill's best label, best first
                self._gram_cache[gram] = (self._skill_of_label[rows[first]], scores[first],
                                          -np.inf if everything else float(bound))

    def _whole_scores(self, texts: list[str]) -> np.ndarray:
        """Whole-text scores on preferred labels (adapter), as skill_scores(preferred=True).

        Written in place: on long real postings (thousands of texts x 13,896 ESCO skills) the
        scatter/gather copies of a (texts x skills) matrix cost 10x the product itself.
        """
        queries = apply_adapter(self.encoder.encode(texts), self.adapter)
        scores = queries @ self._pref_matrix.T
        if self._pref_is_every_skill:       # one preferred label per skill, in skill order
            out = scores
        else:
            out = np.full((len(texts), len(self.index.skills)), -np.inf, np.float32)
            out[:, self._pref_skill] = scores
        if self._has_alt.any():
            np.maximum(out, -queries.sum(axis=1, keepdims=True), out=out, where=self._has_alt)
        return out

    def _exact_sub(self, gram_vectors: np.ndarray, skills: np.ndarray) -> np.ndarray:
        """Best score of any gram against any label of each skill (exact)."""
        starts = self.index.skill_starts[skills]
        counts = self._skill_ends[skills] - starts
        first = np.cumsum(counts) - counts                  # each skill's first output column
        rows = np.arange(counts.sum()) + np.repeat(starts - first, counts)
        sims = (gram_vectors @ self._label_vectors[rows].T).max(axis=0)
        return np.maximum.reduceat(sims, first)

    def _fused_top(self, grams: list[str], whole: np.ndarray, k: int
                   ) -> list[tuple[str, float]]:
        """Exact top-k of (1 - w) * whole + w * best sub-phrase score, see _rank_pruned."""
        w = SUBPHRASE_WEIGHT
        lists = [self._gram_cache[g] for g in grams]
        vectors = self.encoder.encode(grams)
        bounds = np.array([b for _, _, b in lists])      # unlisted (gram, skill) scores <= bound
        nominated = [skills for skills, _, _ in lists]
        nominated.append(np.argpartition(-whole, k - 1)[:k])
        nominees = np.unique(np.concatenate(nominated))
        cand, fused = self._listed_top(lists, vectors, bounds, nominees, whole, k)
        kth = np.partition(fused, len(fused) - k)[len(fused) - k]
        ceiling = (1 - w) * whole + w * bounds.max()      # every other skill scores <= this
        ceiling[nominees] = -np.inf
        extra = np.flatnonzero(ceiling >= kth)
        if len(extra) > FULL_SCAN_SKILLS:
            # many skills are only bounded: scan all labels, but only with the grams whose bound
            # could still lift one of them to kth; the others' unlisted scores stay below it
            need = ((kth - (1 - w) * whole[extra]) / w).min()
            hot = bounds >= need
            cold_bound = bounds[~hot].max(initial=-np.inf)
            sims = vectors[hot] @ self._label_vectors.T
            best = np.maximum.reduceat(sims, self.index.skill_starts, axis=1).max(axis=0)[extra]
            keep = best >= cold_bound       # exact there; elsewhere the fused score < kth
            cand = np.concatenate([cand, extra[keep]])
            fused = np.concatenate([fused, (1 - w) * whole[extra[keep]] + w * best[keep]])
        elif len(extra):
            cand = np.concatenate([cand, extra])
            fused = np.concatenate([fused, (1 - w) * whole[extra]
                                    + w * self._exact_sub(vectors, extra)])
        # best first; equal scores (skills sharing a label) by skill order, so which of them
        # make the top k does not depend on how many candidates the pruning kept
        order = np.lexsort((cand, -fused))[:min(k, len(cand))]
        return [(self.index.skills[c], float(np.clip(v, 0.0, 1.0)))
                for c, v in zip(cand[order].tolist(), fused[order].tolist(), strict=True)]

    def _listed_top(self, lists: list[tuple[np.ndarray, np.ndarray, float]],
                    vectors: np.ndarray, bounds: np.ndarray, nominees: np.ndarray,
                    whole: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The nominees that can still reach the top k, with their exact fused scores.

        A gram's cached list gives exact scores for its listed skills; any other (gram, skill)
        score is at most the gram's bound (also a listed score below its bound, as the bf16
        screen allows). So each nominee's sub-phrase score lies in [lo, hi]; nominees whose
        fused upper bound is below the k-th best lower bound are dropped, and only the rest
        of the unsettled ones (lo < hi) are scored against their labels.
        """
        w = SUBPHRASE_WEIGHT
        listed = np.full((len(lists), len(nominees)), -np.inf, np.float32)
        for g, (skills, scores, _) in enumerate(lists):
            listed[g, np.searchsorted(nominees, skills)] = scores
        column_bounds = bounds[:, None].astype(np.float32)
        lo = listed.max(axis=0)
        hi = np.maximum(lo, np.where(listed < column_bounds, column_bounds, -np.inf).max(axis=0))
        base = (1 - w) * whole[nominees]
        lower = base + w * lo
        if len(nominees) > k:
            kth_lower = np.partition(lower, len(lower) - k)[len(lower) - k]
            alive = base + w * hi >= kth_lower
            nominees, lo, hi, lower = nominees[alive], lo[alive], hi[alive], lower[alive]
        unsettled = lo < hi
        if unsettled.any():
            lower[unsettled] = (1 - w) * whole[nominees[unsettled]] + w * self._exact_sub(
                vectors, nominees[unsettled])
        return nominees, lower

    def _short_top(self, text: str, k: int) -> list[tuple[str, float]]:
        skills, scores, bound = self._gram_cache[text]
        if len(skills) < k or scores[k - 1] < bound:   # unlisted skills might rank: score all
            return _top_k(self.skill_scores([text]), k, self.index.skills)[0]
        return [(self.index.skills[s], float(np.clip(v, 0.0, 1.0)))
                for s, v in zip(skills[:k], scores[:k], strict=True)]


def _top_k(per_skill: np.ndarray, k: int, skills: list[str]) -> list[list[tuple[str, float]]]:
    top = np.argpartition(-per_skill, k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(per_skill, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    top_scores = np.clip(np.take_along_axis(top_scores, order, axis=1), 0.0, 1.0)
    return [[(skills[i], float(s)) for i, s in zip(ids, scores, strict=True)]
            for ids, scores in zip(top, top_scores, strict=True)]


_CALIBRATOR: Calibrator | None = None


def confidence(scores: np.ndarray | float) -> np.ndarray | float:
    """Calibrated confidence of raw ranker scores (identity if no calibration is packaged)."""
    global _CALIBRATOR
    if _CALIBRATOR is None:
        _CALIBRATOR = Calibrator.load() or Calibrator([0.0, 1.0], [0.0, 1.0])
    return _CALIBRATOR(scores)


def load_ranker(con: Any, framework_id: str, encoder: Encoder | None = None, *,
                model_dir: Path = MODEL_DIR) -> SkillRanker:
    """The production ranker for a framework: packaged adapter (if any) + sentence mode."""
    encoder = encoder or get_encoder()
    return SkillRanker(LabelIndex.build(con, framework_id, encoder), encoder,
                       adapter=load_adapter(model_dir), context_weight=CONTEXT_WEIGHT,
                       sentence_mode=True)
