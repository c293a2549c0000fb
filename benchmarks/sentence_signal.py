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

from lmi.nlp import components


def install() -> None:
    """Patch SkillLinker.propose so its sentence vectors come from its phrase vectors."""
    propose = components.SkillLinker.propose

    def patched(self, docs):
        encoder = self.resources.encoder
        encode = encoder.encode
        state = {"sentences": False, "last": ([], np.zeros((0, 384), np.float32))}
        sentences = self._sentences

        def marked(doc, spans):
            state["sentences"] = True          # the next encode call is the sentences'
            return sentences(doc, spans)

        def encode_or_mean(texts, **kwargs):
            if not state["sentences"]:
                out = encode(texts, **kwargs)
                state["last"] = (list(texts), out)
                return out
            phrases, vectors = state["last"]
            out = np.zeros((len(texts), vectors.shape[1] if len(vectors) else 384), np.float32)
            for i, sentence in enumerate(texts):
                rows = [j for j, p in enumerate(phrases) if p in sentence]
                if rows:
                    mean = vectors[rows].mean(axis=0)
                    out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            return out

        self._sentences, encoder.encode = marked, encode_or_mean
        try:
            return propose(self, docs)
        finally:
            del self._sentences
            encoder.encode = encode

    components.SkillLinker.propose = patched


def main() -> None:
    install()
    from lmi.cli.main import app

    rest = sys.argv[1:]
    rest = rest[1:] if rest[:1] == ["--"] else rest
    sys.argv = ["lmi", "train", "linker", *rest]
    app()


if __name__ == "__main__":
    main()
