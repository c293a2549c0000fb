"""Time `find_duplicate_clusters` on synthetic postings and score the clusters (not a test).

    .venv/bin/python benchmarks/bench_dedup.py --postings 20000

Postings come from the pair generator (benchmarks/dedup_pairs.py, seed 303, the report-half name
pools): a duplicate pair is one true job, a non-duplicate pair two. All pairs are clustered
together, so every posting also meets thousands of similar-but-unrelated postings. Prints
postings/s and pairwise precision/recall of the clusters against the generator's truth.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_pairs import Gen  # noqa: E402

from lmi.warehouse.dedup import find_duplicate_clusters  # noqa: E402


def _pairs_in(groups: dict[str, str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = {}
    for pid, gid in groups.items():
        members.setdefault(gid, []).append(pid)
    return {tuple(sorted(p)) for m in members.values() for p in combinations(m, 2)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postings", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=303)
    args = ap.parse_args(argv)
    rows = Gen(args.seed, "report").pairs(args.postings // 2)
    postings, truth = [], {}
    for i, row in enumerate(rows):
        a, b = row["a"], row["b"]
        b["posting_id"] = b["posting_id"] + "b" if a["posting_id"] == b["posting_id"] else \
            b["posting_id"]
        postings += [a, b]
        truth[a["posting_id"]] = f"job{i}a"
        truth[b["posting_id"]] = f"job{i}a" if row["label"] else f"job{i}b"
    start, cpu = time.perf_counter(), time.process_time()
    clusters = find_duplicate_clusters(postings)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    found, true = _pairs_in(clusters), _pairs_in(truth)
    tp = len(found & true)
    sizes = Counter(Counter(clusters.values()).values())
    print(f"postings={len(postings)} wall_s={seconds:.1f} cpu_s={cpu:.1f} "
          f"postings_per_s_wall={len(postings) / seconds:.0f} "
          f"postings_per_s_cpu={len(postings) / cpu:.0f}")
    print(f"true_jobs={len(set(truth.values()))} found_clusters={len(set(clusters.values()))} "
          f"cluster_sizes={dict(sorted(sizes.items()))}")
    print(f"pairwise precision={tp / max(len(found), 1):.4f} recall={tp / max(len(true), 1):.4f} "
          f"(found pairs={len(found)}, true pairs={len(true)})")


if __name__ == "__main__":
    main()
