"""Ranking and set metrics for the linking and extraction evaluations (pure functions)."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass


def rp_at_k(gold: Collection[Hashable], ranked: Sequence[Hashable], k: int) -> float:
    """R-precision at k: |gold ∩ top-k| / min(k, |gold|). 0.0 when gold is empty."""
    if k < 1:
        raise ValueError("k must be >= 1")
    gold_set = set(gold)
    if not gold_set:
        return 0.0
    hits = len(gold_set.intersection(ranked[:k]))
    return hits / min(k, len(gold_set))


def reciprocal_rank(gold: Collection[Hashable], ranked: Sequence[Hashable]) -> float:
    """1 / rank of the first gold item in `ranked` (ranks start at 1); 0.0 if none is ranked."""
    gold_set = set(gold)
    for position, item in enumerate(ranked, start=1):
        if item in gold_set:
            return 1.0 / position
    return 0.0


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    values = list(values)
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class SetCounts:
    """Micro-averaged true positive / false positive / false negative counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: SetCounts) -> SetCounts:
        return SetCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def set_counts(gold: Collection[Hashable], predicted: Collection[Hashable]) -> SetCounts:
    """Counts for one item: predicted vs gold as sets."""
    g, p = set(gold), set(predicted)
    return SetCounts(tp=len(g & p), fp=len(p - g), fn=len(g - p))


def micro_prf(pairs: Iterable[tuple[Collection[Hashable], Collection[Hashable]]]) -> SetCounts:
    """Sum of set_counts over (gold, predicted) pairs; read .precision/.recall/.f1 off it."""
    total = SetCounts()
    for gold, predicted in pairs:
        total = total + set_counts(gold, predicted)
    return total
