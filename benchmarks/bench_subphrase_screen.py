"""Could a cheap screen skip encoding most sub-phrases on long real postings? (measurement)

On the 58 SkillSpan dev postings, sentence-mode ranking encodes every 1-4-word sub-phrase of
every candidate phrase. This script runs one cold extraction over them, captures the phrases the
ESCO ranker scored, and asks: if only the unigrams plus the best `M` multi-word sub-phrases of
each phrase (by a cheap screen) were encoded, how often would the ranking stay the same?

Screens (none needs a new encoding of a multi-word gram):
  meanword  - normalised mean of the gram's word vectors, best cosine with a preferred label
  maxword   - best exact score of any of the gram's words
  exact     - the gram's own exact best score (an upper limit for any screen)
Reported per screen and M: share of distinct grams still encoded, top-1 agreement and mean
top-5 overlap with the unscreened ranking.

    .venv/bin/python benchmarks/bench_subphrase_screen.py --json /tmp/screen.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_extraction as bench  # noqa: E402


def captured_ranking(extractor: Any, texts: list[str]) -> tuple[Any, list[str], int, list]:
    """Run a cold extraction; return the ESCO ranker and the phrases it ranked, with results."""
    from lmi.nlp import ranker as ranker_mod

    calls: list[tuple[Any, list[str], int, list]] = []
    original = ranker_mod.SkillRanker._rank_pruned

    def capture(self, phrases, k):
        result = original(self, phrases, k)
        calls.append((self, list(phrases), k, result))
        return result

    ranker_mod.SkillRanker._rank_pruned = capture
    try:
        extractor.clear_caches()
        list(extractor.extract_many(texts))
    finally:
        ranker_mod.SkillRanker._rank_pruned = original
    ranker, phrases, k = calls[0][0], [], calls[0][2]
    results: list = []
    for _, p, _, r in calls:
        phrases += p
        results += r
    return ranker, phrases, k, results


def screens(ranker: Any, grams: list[str]) -> dict[str, dict[str, float]]:
    """Per screen, a score per gram (higher = encode first)."""
    encoder = ranker.encoder
    words = sorted({w for g in grams for w in g.split()})
    word_vectors = dict(zip(words, encoder.encode(words), strict=True))
    preferred = ranker._pref_matrix
    mean = np.stack([np.mean([word_vectors[w] for w in g.split()], axis=0) for g in grams])
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    meanword = dict(zip(grams, (mean @ preferred.T).max(axis=1).tolist(), strict=True))
    exact = {g: float(ranker._gram_cache[g][1][0]) for g in grams}
    word_best = {w: float((word_vectors[w] @ preferred.T).max()) for w in words}
    maxword = {g: max(exact.get(w, word_best[w]) for w in g.split()) for g in grams}
    return {"meanword": meanword, "maxword": maxword, "exact": exact}


def agreement(ranker: Any, phrases: list[str], k: int, full: list, score: dict[str, float],
              m: int) -> dict[str, float]:
    """Rank each long phrase with unigrams + its top-m multi-word grams; compare with `full`."""
    from lmi.nlp.ranker import _TOKEN, SUBPHRASE_MIN_TOKENS, subphrases

    long = [i for i, t in enumerate(phrases) if len(_TOKEN.findall(t)) >= SUBPHRASE_MIN_TOKENS]
    whole = ranker._whole_scores([phrases[i] for i in long])
    kept: set[str] = set()
    every: set[str] = set()
    top1 = overlap = 0.0
    for row, i in enumerate(long):
        grams = subphrases(phrases[i])
        every.update(grams)
        chosen = [g for g in grams if " " not in g] + sorted(
            (g for g in grams if " " in g), key=lambda g: -score[g])[:m]
        kept.update(chosen)
        ranked = ranker._fused_top(chosen, whole[row], k)
        reference = full[i]
        top1 += ranked[0][0] == reference[0][0]
        overlap += len({s for s, _ in ranked[:5]} & {s for s, _ in reference[:5]}) / min(
            5, len(reference))
    n = max(1, len(long))
    return {"M": m, "grams_encoded_share": round(len(kept) / max(1, len(every)), 3),
            "top1_agreement": round(top1 / n, 4), "top5_overlap": round(overlap / n, 4),
            "phrases": len(long), "distinct_grams": len(every)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, nargs="+", default=[1, 2, 4, 6])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        extractor, _ = bench.build_ours("esco", Path(scratch))
        ranker, phrases, k, full = captured_ranking(extractor, bench.real_postings())
    from lmi.nlp.ranker import _TOKEN, SUBPHRASE_MIN_TOKENS, subphrases

    grams = sorted({g for t in phrases if len(_TOKEN.findall(t)) >= SUBPHRASE_MIN_TOKENS
                    for g in subphrases(t)})
    report: dict[str, Any] = {"k": k, "rows": []}
    for name, score in screens(ranker, grams).items():
        for m in args.m:
            row = {"screen": name, **agreement(ranker, phrases, k, full, score, m)}
            report["rows"].append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
