"""Skipping boilerplate before encoding: same skills, less work?

Runs one cold extraction pass (ESCO, every phrase cache emptied) over the benchmark postings
twice in one process: with boilerplate skipped before the span tagger and the linker (shipped),
and with the skip disabled (boilerplate only filtered from the results, the earlier behaviour).
Reports the wall time of each pass and how many postings get the same skill set.

    .venv/bin/python benchmarks/boilerplate_skip.py --postings 500 [--json OUT]

Postings: `--postings` synthetic board postings plus the 58 SkillSpan dev postings, as in
bench_extraction.py (ESCO from ../shared/data/esco-1.1.1, imported into a scratch folder).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import bench_extraction as bench

from lmi.nlp import boilerplate


def skill_sets(extractor, texts: list[str]) -> list[set[tuple[str, int, int]]]:
    """(skill id, start, end) of every asserted skill, per posting."""
    return [{(m.skill_id, m.start, m.end) for m in e.skills}
            for e in extractor.extract_many(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postings", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = bench.board_postings(args.postings) + bench.real_postings()
    extractor, _ = bench.build_ours("esco", Path(tempfile.mkdtemp()))
    shipped = boilerplate.boilerplate_tokens
    result: dict[str, object] = {"postings": len(texts)}
    found = {}
    for mode, tokens in (("no_skip", lambda doc: frozenset()), ("skip", shipped)):
        boilerplate.boilerplate_tokens = tokens
        bench.clear_phrase_cache(extractor)
        start = time.perf_counter()
        found[mode] = skill_sets(extractor, texts)
        result[f"{mode}_cold_s"] = round(time.perf_counter() - start, 1)
    boilerplate.boilerplate_tokens = shipped
    result["same_skill_sets"] = sum(a == b for a, b in zip(found["no_skip"], found["skip"],
                                                           strict=True))
    result["skills"] = {mode: sum(map(len, sets)) for mode, sets in found.items()}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
