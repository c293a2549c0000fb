"""The pruned top-k search of SkillRanker (sentence mode) agrees exactly with brute force."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lmi.nlp import ranker as ranker_mod
from lmi.nlp.embeddings import LabelIndex
from lmi.nlp.ranker import SkillRanker, _top_k

DIM = 8
WORDS = [f"w{i}" for i in range(30)]


class HashEncoder:
    """Deterministic unit vectors per text; counts how many texts it had to encode."""

    model_id = "hash"

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts, *, cache: bool = True, progress=None) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), DIM), np.float32)
        for i, text in enumerate(texts):
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
            out[i] = np.random.default_rng(seed).standard_normal(DIM)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def random_index(rng: np.random.Generator, n_skills: int = 40,
                 unpreferred_skill: bool = True) -> LabelIndex:
    skill_ids, labels, is_pref = [], [], []
    for s in range(n_skills):
        n_labels = int(rng.integers(1, 7))
        for j in range(n_labels):
            skill_ids.append(f"s{s:03d}")
            labels.append(f"label {s} {j}")
            # skill 0 has no preferred label (unless not unpreferred_skill); the rest have
            # exactly one, first (ESCO's case: the whole-text scores skip a scatter then)
            is_pref.append(j == 0 and (s != 0 or not unpreferred_skill))
    vectors = rng.standard_normal((len(labels), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return LabelIndex("rand", "1", "hash", np.array(skill_ids), labels,
                      np.array(is_pref), vectors)


def random_texts(rng: np.random.Generator, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 7)))) for _ in range(n)]


def brute_force(ranker: SkillRanker, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
    """The reference: full (texts x skills) fused scores, then top-k."""
    return _top_k(ranker.text_scores(texts), k, ranker.index.skills)


@pytest.mark.parametrize("unpreferred_skill", [True, False])
@pytest.mark.parametrize("screen_bf16", [False, True])   # exact scan, or bf16 screen + rescore
@pytest.mark.parametrize("full_scan", [3, 10_000])       # both ways of settling bounded skills
@pytest.mark.parametrize("k", [1, 3, 10])
def test_pruned_rank_matches_brute_force(monkeypatch, full_scan, k, screen_bf16,
                                         unpreferred_skill):
    monkeypatch.setattr(ranker_mod, "GRAM_TOP_LABELS", 5)  # few labels per gram: bounds matter
    monkeypatch.setattr(ranker_mod, "FULL_SCAN_SKILLS", full_scan)
    rng = np.random.default_rng(k + full_scan)
    index = random_index(rng, unpreferred_skill=unpreferred_skill)
    adapter = (rng.standard_normal((DIM, DIM)).astype(np.float32) * 0.3,
               rng.standard_normal(DIM).astype(np.float32) * 0.1)
    ranker = SkillRanker(index, HashEncoder(), adapter=adapter, sentence_mode=True,
                         screen_bf16=screen_bf16)
    assert ranker._pref_is_every_skill is not unpreferred_skill
    texts = random_texts(rng, 200)
    assert_same(ranker.rank(texts, k=k), brute_force(ranker, texts, k))


def assert_same(got_all, want_all) -> None:
    """Same skills in the same order, scores equal up to float32 rounding."""
    assert len(got_all) == len(want_all)
    for got, want in zip(got_all, want_all, strict=True):
        assert [s for s, _ in got] == [s for s, _ in want]
        assert np.allclose([v for _, v in got], [v for _, v in want], atol=1e-6)


def test_repeated_texts_reuse_cached_grams():
    rng = np.random.default_rng(7)
    encoder = HashEncoder()
    ranker = SkillRanker(random_index(rng), encoder, sentence_mode=True)
    texts = random_texts(rng, 50)
    first = ranker.rank(texts, k=3)
    cached = len(ranker._gram_cache)
    assert cached > 0
    assert_same(ranker.rank(list(reversed(texts)), k=3), list(reversed(first)))
    assert len(ranker._gram_cache) == cached         # no gram scored twice


def test_short_text_with_too_few_listed_skills_falls_back(monkeypatch):
    monkeypatch.setattr(ranker_mod, "GRAM_TOP_LABELS", 1)
    rng = np.random.default_rng(3)
    ranker = SkillRanker(random_index(rng), HashEncoder(), sentence_mode=True)
    texts = ["w1", "w2", "w3 w4"]
    assert_same(ranker.rank(texts, k=4), brute_force(ranker, texts, 4))


def test_other_modes_keep_the_full_path():
    rng = np.random.default_rng(5)
    index = random_index(rng)
    plain = SkillRanker(index, HashEncoder())
    texts = random_texts(rng, 20)
    assert plain.rank(texts, k=2) == _top_k(plain.text_scores(texts), 2, index.skills)
    assert not plain._gram_cache                       # pruned path not taken
