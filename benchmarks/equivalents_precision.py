"""Precision of equivalents per match class from a hand-judged sample.

    python benchmarks/equivalents_precision.py benchmarks/data/equivalents_onet_esco.csv

`strict` counts `equivalent` only; `usable` also counts `broader` / `narrower` (the other
framework files the skill under a wider or narrower concept: right for a crosswalk at that
framework's granularity).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict


def main(path: str) -> None:
    by_class: dict[str, Counter] = defaultdict(Counter)
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            judged = row["judgement"].strip()
            if judged not in ("equivalent", "broader", "narrower", "wrong"):
                raise SystemExit(f"{path}: unjudged or unknown judgement {judged!r}")
            for key in (row["match"], "all",
                        "with_shared_occupation" if int(row["shared_occupations"]) > 0
                        else "without_shared_occupation"):
                by_class[key][judged] += 1
    out = {}
    for key, counts in by_class.items():
        n = sum(counts.values())
        out[key] = {"n": n, "strict": round(counts["equivalent"] / n, 3),
                    "usable": round((n - counts["wrong"]) / n, 3), **counts}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data/equivalents_onet_esco.csv")
