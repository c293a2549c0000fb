"""Rank a framework's skills for free-text phrases by embedding similarity (v1: max cosine over labels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lmi.nlp.embeddings import Encoder, LabelIndex

QUERY_CHUNK = 256


class SkillRanker:
    """Top-k skills per phrase: score = max cosine between the phrase and any of the skill's labels."""

    def __init__(self, index: LabelIndex, encoder: Encoder) -> None:
        self.index = index
        self.encoder = encoder

    def rank(self, texts: Sequence[str], k: int = 10,
             contexts: Sequence[str] | None = None) -> list[list[tuple[str, float]]]:
        """Per text, the top-k (skill_id, score in [0, 1]), best first. v1 ignores contexts."""
        texts = list(texts)
        if not texts:
            return []
        if len(self.index) == 0:
            return [[] for _ in texts]
        queries = self.encoder.encode(texts)
        k = max(1, min(k, len(self.index.skills)))
        results: list[list[tuple[str, float]]] = []
        for start in range(0, len(texts), QUERY_CHUNK):
            sims = queries[start:start + QUERY_CHUNK] @ self.index.vectors.T
            per_skill = np.maximum.reduceat(sims, self.index.skill_starts, axis=1)
            top = np.argpartition(-per_skill, k - 1, axis=1)[:, :k]
            top_scores = np.take_along_axis(per_skill, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            top_scores = np.clip(np.take_along_axis(top_scores, order, axis=1), 0.0, 1.0)
            for ids, scores in zip(top, top_scores, strict=True):
                results.append([(self.index.skills[i], float(s))
                                for i, s in zip(ids, scores, strict=True)])
        return results
