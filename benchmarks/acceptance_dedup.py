"""Time the acceptance step of a cold pass, every row against distinct rows, on the same proposals.

`AcceptanceModel.score` computes features and trees once per distinct proposal (fields but
offsets); before, once per row. One cold pass over the benchmark board postings captures the
proposals; each variant is then timed five times (median) and the probabilities are checked to be
equal.

    .venv/bin/python benchmarks/acceptance_dedup.py [--postings 500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import bench_extraction as bench
import numpy as np

from lmi.nlp import acceptance


def median_s(run, repeats: int = 5) -> float:
    """Median wall seconds of run() over `repeats` calls."""
    return statistics.median(bench.timed(run)[1].wall_s for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postings", type=int, default=500)
    args = parser.parse_args()
    texts = bench.board_postings(args.postings)
    extractor, _ = bench.build_ours("esco", Path(tempfile.mkdtemp()))
    batches: list = []
    score = acceptance.AcceptanceModel.score

    def capture_score(model, proposals):
        batches.append((model, list(proposals)))
        return score(model, proposals)

    acceptance.AcceptanceModel.score = capture_score
    bench.clear_phrase_cache(extractor)
    list(extractor.extract_many(texts))
    acceptance.AcceptanceModel.score = score

    def every_row():
        return [m.predict(acceptance.feature_matrix(p, m.prior_total), acceptance.seen_mask(p))
                for m, p in batches]

    def distinct_rows():
        return [m.score(p) for m, p in batches]

    assert all(np.array_equal(a, b) for a, b in zip(every_row(), distinct_rows(), strict=True))
    rows = sum(len(p) for _, p in batches)
    distinct = sum(len({acceptance._feature_key(x) for x in p}) for _, p in batches)
    print(f"acceptance, {rows} proposals ({distinct} distinct): every row "
          f"{median_s(every_row):.3f} s, distinct rows {median_s(distinct_rows):.3f} s "
          "(same probabilities)")


if __name__ == "__main__":
    main()
