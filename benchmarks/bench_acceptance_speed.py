"""CPU cost of the linker's acceptance step: extract the SkillSpan dev postings (ESCO) with it on
or off, cold phrase caches. Run `on` and `off` in separate processes, on the same load.

    .venv/bin/python benchmarks/bench_acceptance_speed.py on --db /tmp/esco.duckdb
    .venv/bin/python benchmarks/bench_acceptance_speed.py off --db /tmp/esco.duckdb
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lmi.nlp import components
from lmi.nlp.extractor import SkillExtractor
from lmi.warehouse.db import connect

DEV = Path(__file__).resolve().parents[1].parent / "shared/bench/skillspan/json/dev.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["on", "off"])
    parser.add_argument("--db", required=True, help="warehouse with ESCO imported")
    parser.add_argument("--postings", type=int, default=None, help="first N postings only")
    args = parser.parse_args()
    postings: dict = {}
    for line in DEV.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            postings.setdefault(rec["idx"], []).append(" ".join(rec["tokens"]))
    texts = ["\n".join(lines) for lines in postings.values()][:args.postings]
    extractor = SkillExtractor.from_warehouse(connect(args.db, read_only=True), ["esco"])
    key = components.register_resources(extractor.nlp.get_pipe("lmi_skill_linker").resources)
    extractor.nlp.replace_pipe("lmi_skill_linker", "lmi_skill_linker", config={
        "resources": key, "acceptance": args.mode == "on"})
    wall, cpu = time.time(), time.process_time()
    found = list(extractor.extract_many(texts))
    cpu = time.process_time() - cpu
    print(f"acceptance={args.mode}: {len(texts)} postings, {sum(len(f.skills) for f in found)} "
          f"skills, {time.time() - wall:.1f} s wall, {cpu:.1f} CPU-s, "
          f"{len(texts) / cpu:.2f} postings per CPU-s")


if __name__ == "__main__":
    main()
