"""Where a cold extraction pass spends its time, without a profiler's per-call overhead.

Wraps the expensive steps (encoder, span tagger network, sub-phrase label screen, fused top-k,
acceptance features and trees) with wall-clock timers, runs cold passes (every phrase cache
emptied) over the benchmark board postings, and prints each step's seconds. Also counts the new
texts and tokens the encoder had to run, by caller (sentences vs phrases and sub-phrases), and
the rate of the label screen's matrix product.

    .venv/bin/python benchmarks/cold_breakdown.py --postings 500 [--passes 2] [--json OUT]
    .venv/bin/python benchmarks/cold_breakdown.py --real      # the 58 long SkillSpan dev postings

Postings and ESCO set-up as in bench_extraction.py (ESCO from ../shared/data/esco-1.1.1).
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_extraction as bench

from lmi.nlp import acceptance, components, ranker, span_transformer


def _timer(owner: Any, name: str, label: str, seconds: collections.Counter) -> None:
    inner = getattr(owner, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - start

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postings", type=int, default=500)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--real", action="store_true",
                        help="the 58 long SkillSpan dev postings instead of board postings")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = bench.real_postings() if args.real else bench.board_postings(args.postings)
    extractor, _ = bench.build_ours("esco", Path(tempfile.mkdtemp()))
    encoder = extractor.encoder
    seconds: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    _timer(encoder, "_encode_raw", "encoder", seconds)
    _timer(span_transformer.TransformerTagger, "segment_log_probs", "span tagger network",
           seconds)
    _timer(ranker.SkillRanker, "_fused_top", "fused top-k", seconds)
    _timer(acceptance, "feature_matrix", "acceptance features", seconds)
    features = acceptance.feature_matrix

    def counted_features(proposals, *args):
        counts["proposals"] += len(proposals)
        return features(proposals, *args)
    acceptance.feature_matrix = counted_features
    _timer(acceptance.AcceptanceModel, "predict", "acceptance trees", seconds)
    _timer(components.SkillLinker, "propose", "propose (all of it)", seconds)

    screen = ranker.SkillRanker._score_grams

    def score_grams(self, grams):
        todo = sum(g not in self._gram_cache for g in grams)
        start = time.perf_counter()
        screen(self, grams)
        seconds["label screen"] += time.perf_counter() - start
        counts["screened sub-phrases"] += todo
        counts["label rows"] = len(self.index)
    ranker.SkillRanker._score_grams = score_grams

    encode, sentence_vectors = encoder.encode, components.SkillLinker._sentence_vectors
    where = {"caller": "phrases and sub-phrases"}

    def counted_encode(batch, **kwargs):
        new = list(dict.fromkeys(encoder._key(t) for t in batch
                                 if encoder._key(t) not in encoder._cache))
        counts[f"new texts: {where['caller']}"] += len(new)
        counts[f"new tokens: {where['caller']}"] += sum(encoder.token_lengths(new))
        return encode(batch, **kwargs)
    encoder.encode = counted_encode

    def counted_sentences(self, sentences):
        where["caller"] = "sentences"
        try:
            return sentence_vectors(self, sentences)
        finally:
            where["caller"] = "phrases and sub-phrases"
    components.SkillLinker._sentence_vectors = counted_sentences

    report: dict[str, Any] = {"postings": len(texts), "passes": []}
    for _ in range(args.passes):
        bench.clear_phrase_cache(extractor)
        seconds.clear()
        counts.clear()
        start = time.perf_counter()
        list(extractor.extract_many(texts))
        wall = time.perf_counter() - start
        row = {"wall_s": round(wall, 2), "postings_per_s": round(len(texts) / wall, 1),
               **{f"{k}_s": round(v, 2) for k, v in seconds.items()}, **counts}
        if seconds["label screen"]:
            flops = 2 * counts["screened sub-phrases"] * counts["label rows"] * 384
            row["label screen GFLOP/s"] = round(flops / seconds["label screen"] / 1e9)
        report["passes"].append(row)
        print(json.dumps(row, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
