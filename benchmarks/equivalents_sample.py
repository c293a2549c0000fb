"""Draw a seeded sample of stored rank-1 equivalents per match class, for judging by hand.

    python benchmarks/equivalents_sample.py --db /tmp/xw.duckdb --per-class 30 \
        > benchmarks/data/equivalents_onet_esco.csv

Then fill the `judgement` column (equivalent | broader | narrower | wrong, from the source
skill's side: `broader` = the matched skill is wider than the source skill) and score it with
benchmarks/equivalents_precision.py. Needs `lmi frameworks match esco onet` run first.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys

from lmi.nlp.crosswalks import equivalents_between
from lmi.warehouse.db import connect

COLUMNS = ["match", "similarity", "shared_occupations", "label", "matched_label",
           "other_label", "other_matched_label", "judgement"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--from", dest="source", default="onet")
    parser.add_argument("--to", dest="target", default="esco")
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    con = connect(args.db, read_only=True)
    rng = random.Random(args.seed)
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for match in ("same_label", "close", "related"):
        pairs = equivalents_between(con, args.source, args.target, match=match, max_rank=1,
                                    limit=1_000_000)
        for pair in sorted(rng.sample(pairs, min(args.per_class, len(pairs))),
                           key=lambda p: -p["similarity"]):
            writer.writerow({**pair, "judgement": ""})


if __name__ == "__main__":
    main()
