"""Ablation: a free sentence vector for `sentence_sim`, through `lmi train linker`.

The linker encodes each candidate's sentence once, only for the `sentence_sim` feature (about
45% of a cold pass's encoder tokens; docs/speed.md). Here the sentence vector is replaced with
the normalised mean of the vectors of the candidate phrases found in that sentence, which the
linker has already encoded (no sentence is encoded). A sentence with no such phrase gets a zero
vector (`sentence_sim` 0). Proposals are collected again with this vector and the acceptance
model is retrained and cross-fitted as usual. Arguments after `--` go to `lmi train linker`; use
a fresh `--cache` (collected proposals hold the feature) and a scratch `-o`:

    .venv/bin/python benchmarks/sentence_signal.py -- --db /tmp/esco_eval.duckdb --seed 0 \\
        --cache /tmp/h3/cache_meanvec -o /tmp/h3/meanvec --format json
"""

from __future__ import annotations

import sys

import numpy as np
from drop_feature import train_linker

from lmi.nlp import components


def install() -> None:
    """Patch SkillLinker so its sentence vectors come from its phrase vectors."""
    phrase_vectors = components.SkillLinker._phrase_vectors

    def remembered(self, phrases):
        self._last_phrases = phrase_vectors(self, phrases)
        return self._last_phrases

    def mean_of_phrases(self, sentences):
        phrases = getattr(self, "_last_phrases", {})
        out = {}
        for sentence in sentences:
            inside = [v for p, v in phrases.items() if p in sentence]
            mean = np.mean(inside, axis=0) if inside else np.zeros(384, np.float32)
            out[sentence] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out

    components.SkillLinker._phrase_vectors = remembered
    components.SkillLinker._sentence_vectors = mean_of_phrases


def main() -> None:
    install()
    train_linker(sys.argv[1:])


if __name__ == "__main__":
    main()
